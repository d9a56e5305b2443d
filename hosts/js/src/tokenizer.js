// The bundle's tokenizers, applied exactly as the Python runtime (runtime/decoding/tokenizer.py) and
// Hugging Face `tokenizers` apply them: the pipeline of docs/bundle-format.md, nothing more.
import { BundleError } from "./errors.js";
import { NFKC_UNCHANGED, NOT_PUNCTUATION, EXTRA_PUNCTUATION } from "./unicode-compat.js";

const CONTROL_PATTERN = "[\\p{Cc}\\p{Cf}&&[^\\t\\n\\r]]";
const WHITESPACE_PATTERN = "\\s+";
const ASCII_PUNCTUATION = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
const CONTROLS = /[\p{Cc}\p{Cf}]/gu;
// Python's `\s` (what the runtime and `tokenizers` collapse); JS `\s` would add U+FEFF.
const WHITESPACE_RUN = /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/gu;
const PUNCTUATION = /\p{P}/u;

function isPunctuation(char) {
  if (ASCII_PUNCTUATION.has(char)) return true;
  const code = char.codePointAt(0);
  if (NOT_PUNCTUATION.has(code)) return false;
  return EXTRA_PUNCTUATION.has(code) || PUNCTUATION.test(char);
}

function nfkc(form, text) {
  if (form !== "NFKC") return text.normalize(form);
  let out = "";
  let run = "";
  for (const char of text) {
    if (NFKC_UNCHANGED.has(char.codePointAt(0))) {
      out += run.normalize("NFKC") + char;
      run = "";
    } else {
      run += char;
    }
  }
  return out + run.normalize("NFKC");
}

function normalizer(spec) {
  const steps = [];
  const list = spec ? (spec.normalizers ?? [spec]) : [];
  for (const step of list) {
    const kind = step?.type;
    const pattern = step?.pattern?.Regex;
    if (["NFC", "NFD", "NFKC", "NFKD"].includes(kind)) steps.push((text) => nfkc(kind, text));
    else if (kind === "Lowercase") steps.push((text) => text.toLowerCase());
    else if (kind === "Strip" && step.strip_left && step.strip_right) steps.push((text) => text.replace(/^\s+|\s+$/gu, ""));
    else if (kind === "Replace" && pattern === CONTROL_PATTERN && step.content === "") {
      steps.push((text) => text.replace(CONTROLS, (c) => ("\t\n\r".includes(c) ? c : "")));
    } else if (kind === "Replace" && pattern === WHITESPACE_PATTERN && typeof (step.content ?? " ") === "string") {
      const content = step.content ?? " ";
      steps.push((text) => text.replace(WHITESPACE_RUN, () => content));
    } else throw new BundleError(`unsupported tokenizer normaliser: ${JSON.stringify(step).slice(0, 120)}`);
  }
  return (text) => steps.reduce((value, apply) => apply(value), text);
}

function preTokenizer(spec) {
  const steps = spec ? (spec.pretokenizers ?? [spec]) : [];
  const first = steps[0];
  if (!first || first.type !== "Metaspace" || first.split === false) {
    throw new BundleError("unsupported tokenizer pre-tokeniser: expected Metaspace first");
  }
  const scheme = first.prepend_scheme ?? "always";
  if (!["always", "never"].includes(scheme)) throw new BundleError(`unsupported Metaspace prepend scheme: ${scheme}`);
  const marker = first.replacement ?? "\u2581";
  const rest = steps.slice(1);
  if (rest.length === 1 && rest[0].type === "Punctuation" && rest[0].behavior === "Isolated") {
    return { marker, prepend: scheme === "always", splitChars: false };
  }
  if (rest.length === 1 && rest[0].type === "Split" && rest[0].pattern?.Regex === "." && rest[0].behavior === "Isolated") {
    return { marker, prepend: scheme === "always", splitChars: true };
  }
  throw new BundleError(`unsupported tokenizer pre-tokeniser after Metaspace: ${JSON.stringify(rest).slice(0, 120)}`);
}

export class Tokenizer {
  /** @param {object} spec a parsed tokenizer.json */
  constructor(spec) {
    if (!spec || typeof spec !== "object" || !spec.model || typeof spec.model !== "object") {
      throw new BundleError("tokenizer has no model");
    }
    this.normalize = normalizer(spec.normalizer);
    Object.assign(this, preTokenizer(spec.pre_tokenizer));
    const decoder = spec.decoder ?? {};
    if (decoder.type !== "Metaspace" || decoder.replacement !== this.marker) {
      throw new BundleError(`unsupported tokenizer decoder: ${decoder.type}`);
    }
    this.decoderPrepend = (decoder.prepend_scheme ?? "always") !== "never";
    if (spec.post_processor) throw new BundleError("unsupported tokenizer post-processor");
    const model = spec.model;
    this.vocab = new Map(Object.entries(model.vocab ?? {}));
    if (!this.vocab.size) throw new BundleError("tokenizer has no vocabulary");
    this.unkId = model.unk_token != null ? this.vocab.get(model.unk_token) : undefined;
    this.kind = model.type;
    if (this.kind === "BPE") {
      if (model.dropout || model.continuing_subword_prefix || model.end_of_word_suffix || model.byte_fallback || model.fuse_unk) {
        throw new BundleError("unsupported BPE options");
      }
      this.ignoreMerges = Boolean(model.ignore_merges);
      this.merges = new Map();
      (model.merges ?? []).forEach((merge, rank) => {
        const [left, right] = typeof merge === "string" ? [merge.slice(0, merge.indexOf(" ")), merge.slice(merge.indexOf(" ") + 1)] : merge;
        const a = this.vocab.get(left), b = this.vocab.get(right), merged = this.vocab.get(left + right);
        if (a === undefined || b === undefined || merged === undefined) {
          throw new BundleError(`tokenizer merge ${left} + ${right} is not in its vocabulary`);
        }
        const key = `${a},${b}`;
        if (!this.merges.has(key)) this.merges.set(key, [rank, merged]);
      });
    } else if (this.kind !== "WordLevel") {
      throw new BundleError(`unsupported tokenizer model: ${this.kind}`);
    }
    const added = spec.added_tokens ?? [];
    for (const token of added) {
      if (token.normalized || token.lstrip || token.rstrip || token.single_word) {
        throw new BundleError(`unsupported options on added token ${token.content}`);
      }
      if (!this.vocab.has(token.content)) this.vocab.set(token.content, token.id);
    }
    this.specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
    this.addedIds = new Map(added.map((t) => [t.content, t.id]));
    const contents = added.map((t) => t.content).sort((a, b) => b.length - a.length);
    const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    this.addedPattern = contents.length ? new RegExp(`(${contents.map(escape).join("|")})`, "u") : null;
    const ids = [...this.vocab.values()];
    if (ids.some((i) => !Number.isInteger(i) || i < 0) || Math.max(...ids) >= 2 * ids.length + 16) {
      throw new BundleError("token ids must be dense integers");
    }
    this.tokens = new Array(Math.max(...ids) + 1).fill(null);
    for (const [token, index] of this.vocab) this.tokens[index] = token;
    this.longestToken = Math.max(1, ...[...this.vocab.keys()].filter((t) => !this.addedIds.has(t)).map((t) => [...t].length));
    this.cache = new Map();
  }

  get vocabSize() {
    return this.tokens.length;
  }

  /** The token string of `id` ("" for an id outside the vocabulary). */
  idToToken(id) {
    return this.tokens[id] ?? "";
  }

  /** Token ids of `text`; with maxTokens, work stops once that many are known (as in Python). */
  encode(text, maxTokens = null) {
    const ids = [];
    const segments = this.addedPattern ? text.split(this.addedPattern) : [text];
    segments.forEach((segment, index) => {
      if (maxTokens !== null && ids.length >= maxTokens) return;
      if (index % 2) {
        ids.push(this.addedIds.get(segment));
        return;
      }
      let normalized = this.normalize(segment);
      if (maxTokens !== null) normalized = [...normalized].slice(0, (maxTokens - ids.length) * this.longestToken).join("");
      if (!normalized) return;
      for (const piece of this.pieces(normalized)) {
        if (maxTokens !== null && ids.length >= maxTokens) break;
        ids.push(...this.pieceIds(piece));
      }
    });
    return ids;
  }

  pieces(text) {
    text = text.replaceAll(" ", this.marker);
    if (this.prepend && !text.startsWith(this.marker)) text = this.marker + text;
    const pieces = [];
    let current = "";
    for (const char of text) {
      if (char === this.marker && current) {
        pieces.push(current);
        current = "";
      }
      current += char;
    }
    if (current) pieces.push(current);
    if (this.splitChars) return pieces.flatMap((piece) => [...piece]);
    const out = [];
    for (const piece of pieces) {
      let start = "";
      for (const char of piece) {
        if (isPunctuation(char)) {
          if (start) out.push(start);
          out.push(char);
          start = "";
        } else start += char;
      }
      if (start) out.push(start);
    }
    return out;
  }

  pieceIds(piece) {
    const cached = this.cache.get(piece);
    if (cached) return cached;
    let result;
    if (this.kind === "WordLevel") {
      const index = this.vocab.get(piece) ?? this.unkId;
      result = index === undefined ? [] : [index];
    } else if (this.ignoreMerges && this.vocab.has(piece)) {
      result = [this.vocab.get(piece)];
    } else {
      const symbols = [];
      for (const char of piece) {
        const index = this.vocab.get(char) ?? this.unkId;
        if (index !== undefined) symbols.push(index);
      }
      while (symbols.length > 1) {
        let best = null;
        for (let i = 0; i < symbols.length - 1; i++) {
          const merge = this.merges.get(`${symbols[i]},${symbols[i + 1]}`);
          if (merge && (best === null || merge[0] < best[0])) best = [merge[0], i, merge[1]];
        }
        if (best === null) break;
        symbols.splice(best[1], 2, best[2]);
      }
      result = symbols;
    }
    if (this.cache.size < 65536) this.cache.set(piece, result);
    return result;
  }

  /** Text of `ids`: special and unknown ids left out; no clean-up of spaces (French "?"). */
  decode(ids) {
    return this.decodePieces(ids).join("");
  }

  /** The text each id contributes to `decode(ids)` ("" for those it leaves out): where tokens end. */
  decodePieces(ids) {
    let first = true;
    return ids.map((id) => {
      if (id < 0 || id >= this.tokens.length || this.specialIds.has(id) || this.tokens[id] === null) return "";
      const piece = this.tokens[id].replaceAll(this.marker, first && this.decoderPrepend ? "" : " ");
      first = false;
      return piece;
    });
  }
}
