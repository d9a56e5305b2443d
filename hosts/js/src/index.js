export { Translator } from "./translator.js";
export { Tokenizer } from "./tokenizer.js";
export { loadBundle, checkManifest, FORMAT_VERSION } from "./bundle.js";
export { BundleError, InputError } from "./errors.js";
export { splitSentences } from "./sentences.js";
