// Translation with a bundle's graphs and ONNX Runtime: tokenizers, protection, sentence splitting,
// and decoding by the one search driver of search.js (greedy and beam search as strategies) or
// greedy.onnx in one call. The ONNX Runtime module is given by the entry point: onnxruntime-node
// (index.js) or onnxruntime-web (browser.js).
import { BUNDLE } from "./contract.js";
import { BundleError, InputError } from "./errors.js";
import { parseJson } from "./manifest.js";
import { Protector, namesFor, placeholderNumber, restore } from "./protection.js";
import { BeamSearch, GreedySearch, search } from "./search.js";
import { splitSentences } from "./sentences.js";
import { Tokenizer } from "./tokenizer.js";

const GRAPH_IO = {
  encoder: { inputs: ["source_ids", "source_lengths"] },
  decoder: { outputs: ["top_ids", "top_log_probs", "next_hidden"] },
  greedy: { outputs: ["output_ids", "output_lengths", "scores"] },
};

// Greedy batches up to this size run the bundle's one-call graph (greedy.onnx) when it has one,
// as the Python runtime does (the bundle contract's threshold, contract.js).
const ONE_CALL_MAX_BATCH = BUNDLE.oneCallMaxBatch;

export class Translator {
  constructor(ort, bundle, encoder, decoder, source, target, greedy = null) {
    this.ort = ort;
    this.oneCall = greedy;
    this.bundle = bundle;
    this.encoder = encoder;
    this.decoder = decoder;
    this.sourceTokenizer = source;
    this.targetTokenizer = target;
    const { special_ids: ids, decoding, architecture } = bundle.manifest;
    Object.assign(this, { padId: ids.pad, sosId: ids.sos, eosId: ids.eos, decoding });
    this.maxSourceLength = decoding.max_source_length;
    this.cell = architecture.cell;
    this.attention = architecture.attention;
  }

  /**
   * A translator over a loaded bundle ({manifest, files}) with the given ONNX Runtime module.
   * @param {{manifest: object, files: Map<string, Uint8Array>}} bundle
   * @param {object} ort  onnxruntime-node or onnxruntime-web
   * @param {object} [sessionOptions]
   */
  static async create(bundle, ort, sessionOptions = {}) {
    const options = { executionMode: "sequential", graphOptimizationLevel: "all", ...sessionOptions };
    // Format 2: the graphs' weights are external data in weights.bin, handed over from memory
    // (verified like every file); a graph naming any other file fails to load.
    if (bundle.files.has("weights.bin")) options.externalData = [{ path: "weights.bin", data: bundle.files.get("weights.bin") }];
    const session = async (name) => {
      try {
        return await ort.InferenceSession.create(bundle.files.get(name), options);
      } catch (error) {
        throw new BundleError(`cannot load ${name}: ${String(error.message).split("\n")[0]}`);
      }
    };
    const encoder = await session("encoder.onnx");
    const decoder = await session("decoder.onnx");
    for (const name of GRAPH_IO.encoder.inputs) {
      if (!encoder.inputNames.includes(name)) throw new BundleError(`encoder.onnx has no input ${name}`);
    }
    const attention = bundle.manifest.architecture.attention !== "none";
    for (const name of [...GRAPH_IO.decoder.outputs, ...(attention ? ["attention"] : [])]) {
      if (!decoder.outputNames.includes(name)) throw new BundleError(`decoder.onnx has no output ${name}`);
    }
    let greedy = null;
    if (bundle.files.has("greedy.onnx")) {
      greedy = await session("greedy.onnx");
      for (const name of GRAPH_IO.greedy.outputs) {
        if (!greedy.outputNames.includes(name)) throw new BundleError(`greedy.onnx has no output ${name}`);
      }
    }
    const tokenizer = (name) => new Tokenizer(parseJson(bundle.files.get(name), name));
    return new this(ort, bundle, encoder, decoder, tokenizer("source.tokenizer.json"), tokenizer("target.tokenizer.json"),
      greedy);
  }

  limit(sourceLength) {
    const { length_ratio: ratio, length_offset: offset, max_target_length: most } = this.decoding;
    return Math.min(most, Math.ceil(ratio * sourceLength) + offset);
  }

  /**
   * Translate each text; output in input order, one string per text. A text of several sentences
   * is translated sentence by sentence and joined with the whitespace between them (as the Python
   * runtime does; splitSentences: false turns it off). A sentence's translation does not depend
   * on the batch it is decoded in, so any batch size gives the same strings.
   * With `protect` (default) and a bundle trained with placeholders, numbers, names, codes, URLs,
   * e-mail addresses and paths come through unchanged; `glossary` ({source term: target term})
   * puts the user's terms in, `keep` leaves the given terms untranslated (as the Python runtime).
   * @param {string[]} texts
   * @param {{batchSize?: number, beamSize?: number, splitSentences?: boolean, protect?: boolean,
   *          glossary?: Object<string, string>, keep?: string[]}} [options]
   */
  async translate(texts, { batchSize = 64, beamSize = 1, lengthPenalty = 1, splitSentences: split = true, protect = true,
    glossary = {}, keep = [] } = {}) {
    if (!Array.isArray(texts)) throw new InputError("texts must be an array of strings");
    for (const [name, value] of [["batchSize", batchSize], ["beamSize", beamSize]]) {
      if (!Number.isInteger(value) || value < 1) throw new InputError(`${name} must be a positive integer`);
    }
    if (beamSize > this.targetTokenizer.vocabSize) {
      throw new InputError(`beam size ${beamSize} is larger than the target vocabulary (${this.targetTokenizer.vocabSize} tokens)`);
    }
    if (typeof lengthPenalty !== "number" || !(lengthPenalty >= 0 && lengthPenalty <= 10)) {
      throw new InputError("lengthPenalty must be a number from 0 to 10");
    }
    const protector = this.protector(protect, glossary, keep);
    if (!split) return this.translateSentences(texts, batchSize, beamSize, protector, lengthPenalty);
    const language = this.bundle.manifest.languages?.source ?? "en";
    const splits = texts.map((text) => splitSentences(String(text), language));
    const flat = await this.translateSentences(splits.flatMap(([parts]) => parts), batchSize, beamSize, protector,
      lengthPenalty);
    let position = 0;
    return splits.map(([parts, separators]) => {
      const inner = ["", ...separators.slice(1, -1), ""];
      let out = inner[0];
      parts.forEach((_, k) => { out += flat[position + k] + inner[k + 1]; });
      position += parts.length;
      return out;
    });
  }

  /**
   * One sentence (not split) with its tokens and attention weights, for pictures of what the
   * model looked at: {text, sourceTokens, targetTokens, attention: rows of weights, one row per
   * target token, one weight per source token}. Needs a bundle with attention.
   * @param {string} text
   */
  async translateWithAttention(text) {
    if (this.attention === "none") throw new InputError("this model has no attention");
    const ids = this.sourceTokenizer.encode(String(text), this.maxSourceLength + 1).slice(0, this.maxSourceLength);
    if (!ids.length) return { text: "", sourceTokens: [], targetTokens: [], attention: [] };
    const [output] = await this.greedy([ids], true);
    return {
      text: this.targetTokenizer.decode(output.tokens),
      sourceTokens: ids.map((id) => this.sourceTokenizer.idToToken(id)),
      targetTokens: output.tokens.map((id) => this.targetTokenizer.idToToken(id)),
      attention: output.attention.slice(0, output.tokens.length),
    };
  }

  /** What `translate` protects with (null: nothing), as the Python runtime's Translator.protector. */
  protector(protect, glossary, keep) {
    const terms = Object.keys(glossary ?? {}).length > 0 || (keep ?? []).length > 0;
    if (!protect) {
      if (terms) throw new InputError("a glossary or keep terms need protection on");
      return null;
    }
    if (!this.bundle.manifest.protection) {
      if (terms) throw new InputError("this model was not trained with placeholders, so it cannot take a glossary or keep terms");
      return null;
    }
    return new Protector((word) => this.sourceTokenizer.vocab.has(`\u2581${word}`), { glossary, keep },
      namesFor(this.bundle.manifest.languages?.source));
  }

  async translateSentences(texts, batchSize, beamSize = 1, protector = null, lengthPenalty = 1) {
    const protectedTexts = texts.map((text) => (protector ? protector.protect(String(text)) : { text: String(text), items: [] }));
    const sources = protectedTexts.map(({ text }) => this.sourceTokenizer.encode(text, this.maxSourceLength + 1)
      .slice(0, this.maxSourceLength));
    const outputs = texts.map(() => ({ tokens: [] }));
    // Sentences holding placeholders decode with attention (what repairs a dropped one), the others
    // without; a sentence's translation does not depend on its group or batch.
    const withItems = this.attention !== "none" ? (i) => protectedTexts[i].items.length > 0 : () => false;
    for (const attention of [true, false]) {
      // Length buckets, as the Python runtime (ascending token length, stable); empty inputs skip the model.
      const order = sources.map((ids, i) => i).filter((i) => sources[i].length && withItems(i) === attention)
        .sort((a, b) => sources[a].length - sources[b].length);
      for (let start = 0; start < order.length; start += batchSize) {
        const rows = order.slice(start, start + batchSize);
        const batch = rows.map((i) => sources[i]);
        let decoded;
        if (beamSize > 1) decoded = await this.beamSearch(batch, beamSize, attention, lengthPenalty);
        else if (!attention && this.oneCall && batch.length <= ONE_CALL_MAX_BATCH) decoded = await this.greedyOneCall(batch);
        else decoded = await this.greedy(batch, attention);
        rows.forEach((row, k) => { outputs[row] = decoded[k]; });
      }
    }
    return outputs.map((output, i) => {
      const pieces = this.targetTokenizer.decodePieces(output.tokens);
      const text = pieces.join("");
      if (!protectedTexts[i].items.length) return text;
      const ends = [];
      let length = 0;
      for (const piece of pieces) ends.push(length += piece.length);
      const positions = new Map();
      sources[i].forEach((id, column) => {
        const found = this.sourceTokenizer.idToToken(id).match(/[\ue001-\ue010]/u);
        if (found && !positions.has(placeholderNumber(found[0]))) positions.set(placeholderNumber(found[0]), column);
      });
      return restore(protectedTexts[i], text, ends, positions, output.attention ?? null).text;
    });
  }

  /** The padded source_ids and source_lengths of a batch of token id lists. */
  sourceFeeds(batch) {
    const size = batch.length;
    const width = Math.max(...batch.map((s) => s.length));
    const ids = new BigInt64Array(size * width).fill(BigInt(this.padId));
    batch.forEach((seq, row) => seq.forEach((id, t) => { ids[row * width + t] = BigInt(id); }));
    return {
      source_ids: new this.ort.Tensor("int64", ids, [size, width]),
      source_lengths: new this.ort.Tensor("int64", BigInt64Array.from(batch.map((s) => BigInt(s.length))), [size]),
    };
  }

  /** The encoder once: what every decoder step reads (context) and the initial state. */
  async encode(batch) {
    const encoded = await this.encoder.run(this.sourceFeeds(batch));
    const context = this.attention === "none" ? {}
      : { memory: encoded.memory, attention_keys: encoded.attention_keys, source_mask: encoded.source_mask };
    const state = { hidden: encoded.initial_hidden };
    if (this.cell === "lstm") state.cell = encoded.initial_cell;
    return { context, state };
  }

  /** Greedy decoding in one call of greedy.onnx (same tokens as `greedy`). */
  async greedyOneCall(batch) {
    const out = await this.oneCall.run(this.sourceFeeds(batch));
    const steps = out.output_ids.dims[1];
    return batch.map((_, row) => ({
      tokens: Array.from(out.output_ids.data.subarray(row * steps, row * steps + Number(out.output_lengths.data[row])), Number),
    }));
  }

  /** Greedy search over the step graphs (attention kept when asked). */
  async greedy(batch, keepAttention = false) {
    const limits = batch.map((s) => this.limit(s.length));
    return search(this, batch, new GreedySearch(limits, this.sosId, this.eosId, keepAttention));
  }

  /** Beam search, the Python runtime's BeamSearch step for step (search.js). */
  async beamSearch(batch, beamSize, keepAttention = false, lengthPenalty = 1) {
    const limits = batch.map((s) => this.limit(s.length));
    return search(this, batch, new BeamSearch(limits, this.sosId, this.eosId, beamSize, keepAttention, lengthPenalty));
  }
}
