// One decoding driver with greedy and beam search as its strategies, as the Python runtime
// (runtime/decoding/search.py) and OpenNMT-py's translate/: `search` owns the loop and every
// model call (the encoder once, then one decoder step for the rows still going, their state
// carried); a strategy decides what each step keeps and when a sentence is done.

/** Rows `rows` of `tensor` along `axis` (0 or 1), as a new tensor. */
export function selectRows(ort, tensor, rows, axis) {
  const dims = tensor.dims;
  const outer = axis === 0 ? 1 : dims[0];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const count = dims[axis];
  const data = new tensor.data.constructor(outer * rows.length * inner);
  for (let o = 0; o < outer; o++) {
    rows.forEach((row, r) => {
      const from = (o * count + row) * inner;
      data.set(tensor.data.subarray(from, from + inner), (o * rows.length + r) * inner);
    });
  }
  const newDims = [...dims];
  newDims[axis] = rows.length;
  return new ort.Tensor(tensor.type, data, newDims);
}

/**
 * Decode `batch` (non-empty token id lists) with `strategy`: `translator` gives the ONNX Runtime
 * module, `encode` and the decoder session. Returns the strategy's one hypothesis per sentence.
 */
export async function search(translator, batch, strategy) {
  const ort = translator.ort;
  let { context, state } = await translator.encode(batch);
  let tokens = strategy.start(batch);
  const topK = new ort.Tensor("int64", BigInt64Array.from([BigInt(strategy.k)]), []);
  for (;;) {
    const out = await translator.decoder.run({
      previous_ids: new ort.Tensor("int64", tokens, [tokens.length]), ...state, ...context, top_k: topK,
    });
    const next = strategy.advance(out);
    if (next === null) return strategy.hypotheses();
    if (next.rows === null) {  // every row goes on, as it is
      state = { hidden: out.next_hidden };
      if (out.next_cell) state.cell = out.next_cell;
    } else {
      state = { hidden: selectRows(ort, out.next_hidden, next.rows, 1) };
      if (out.next_cell) state.cell = selectRows(ort, out.next_cell, next.rows, 1);
      for (const name of Object.keys(context)) context[name] = selectRows(ort, context[name], next.rows, 0);
    }
    tokens = next.tokens;
  }
}

/** The attention row of `position` over the first `length` source tokens of this step. */
function attentionRow(out, position, length) {
  const width = out.attention.dims[1];
  return Array.from(out.attention.data.subarray(position * width, position * width + length));
}

/** Each step feeds back the argmax, until a row emits <eos> or its limit; finished rows leave. */
export class GreedySearch {
  constructor(limits, sosId, eosId, keepAttention = false) {
    Object.assign(this, { limits, sosId, eosId, keepAttention, k: 1 });
  }

  start(batch) {
    this.lengths = batch.map((s) => s.length);
    this.outputs = batch.map(() => ({ tokens: [], attention: [] }));
    this.active = batch.map((_, i) => i);
    return new BigInt64Array(batch.length).fill(BigInt(this.sosId));
  }

  advance(out) {
    const chosen = out.top_ids.data;
    const keep = [];
    this.active.forEach((row, position) => {
      const token = Number(chosen[position]);
      if (this.keepAttention) this.outputs[row].attention.push(attentionRow(out, position, this.lengths[row]));
      if (token === this.eosId) return;
      this.outputs[row].tokens.push(token);
      if (this.outputs[row].tokens.length < this.limits[row]) keep.push(position);
    });
    if (!keep.length) return null;
    const all = keep.length === this.active.length;
    this.active = keep.map((position) => this.active[position]);
    return { tokens: BigInt64Array.from(keep.map((position) => chosen[position])), rows: all ? null : keep };
  }

  hypotheses() {
    return this.outputs;
  }
}

/**
 * Every beam of every sentence shares each decoder step; a sentence ends when `beamSize`
 * hypotheses have finished (<eos> or the length limit); the best by score / length **
 * lengthPenalty wins (ties: the first finished).
 */
export class BeamSearch {
  constructor(limits, sosId, eosId, beamSize, keepAttention = false, lengthPenalty = 1) {
    Object.assign(this, { limits, sosId, eosId, keepAttention, lengthPenalty, k: beamSize });
  }

  start(batch) {
    this.lengths = batch.map((s) => s.length);
    this.finished = batch.map(() => []);
    this.beams = batch.map((_, sentence) => ({ sentence, tokens: [], score: 0, attention: [] }));
    return new BigInt64Array(batch.length).fill(BigInt(this.sosId));
  }

  advance(out) {
    const { k: beamSize, beams, finished } = this;
    const k = out.top_ids.dims[1];
    const candidates = new Map();
    beams.forEach((beam, position) => {
      if (!candidates.has(beam.sentence)) candidates.set(beam.sentence, []);
      for (let j = 0; j < k; j++) {
        candidates.get(beam.sentence).push({
          total: beam.score + out.top_log_probs.data[position * k + j], position,
          token: Number(out.top_ids.data[position * k + j]),
        });
      }
    });
    const next = [];
    for (const [sentence, options] of candidates) {
      options.sort((a, b) => b.total - a.total);  // stable, as Python's sort
      let live = 0;
      for (const { total, position, token } of options) {
        if (live === beamSize || finished[sentence].length >= beamSize) break;
        const parent = beams[position];
        const attention = this.keepAttention
          ? [...parent.attention, attentionRow(out, position, this.lengths[sentence])] : [];
        if (token === this.eosId) {
          finished[sentence].push({ rank: this.normalised(total, parent.tokens.length + 1), tokens: parent.tokens, attention });
          continue;
        }
        const tokens = [...parent.tokens, token];
        if (tokens.length >= this.limits[sentence]) {
          finished[sentence].push({ rank: this.normalised(total, tokens.length), tokens, attention });
          continue;
        }
        next.push({ beam: { sentence, tokens, score: total, attention }, parent: position });
        live++;
      }
    }
    const kept = next.filter(({ beam }) => finished[beam.sentence].length < beamSize);
    if (!kept.length) return null;
    this.beams = kept.map(({ beam }) => beam);
    return {
      tokens: BigInt64Array.from(this.beams.map((b) => BigInt(b.tokens.at(-1)))),
      rows: kept.map(({ parent }) => parent),
    };
  }

  /** Length normalisation: without it, beam search prefers short outputs. */
  normalised(score, length) {
    return score / Math.max(length, 1) ** this.lengthPenalty;
  }

  hypotheses() {
    return this.finished.map((done) => {
      let best = done[0];
      for (const hypothesis of done) if (hypothesis.rank > best.rank) best = hypothesis;
      return { tokens: best.tokens, attention: this.keepAttention ? best.attention : undefined };
    });
  }
}
