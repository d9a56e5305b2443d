// The Node.js and Electron entry point: bundles from the file system (a directory or a .zip),
// run with onnxruntime-node. Browsers import browser.js instead.
import * as ort from "onnxruntime-node";

import { loadBundle } from "./bundle.js";
import { Translator as BaseTranslator } from "./translator.js";

export class Translator extends BaseTranslator {
  /**
   * Load a bundle (a directory or a .zip), verify every file and create its sessions.
   * @param {string} origin
   * @param {{threads?: number}} [options]
   */
  static async load(origin, { threads = 2 } = {}) {
    return BaseTranslator.create(await loadBundle(origin), ort, {
      intraOpNumThreads: threads, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: "0" } } },
    });
  }
}

export { Tokenizer } from "./tokenizer.js";
export { loadBundle, checkManifest, FORMAT_VERSION } from "./bundle.js";
export { BundleError, InputError } from "./errors.js";
export { splitSentences } from "./sentences.js";
