// The JavaScript host against the Python runtime, on the shipped bundles: identical token ids,
// decoded strings and translations. The Python side is computed now, by the Python runtime
// ($S2S_PYTHON, default python3, with s2s-onnx installed), never committed by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Translator, splitSentences } from "../src/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const bundles = ["models/eng-fra", "models/deu-eng"].map((b) => path.join(root, b));

function pythonFixture() {
  const python = process.env.S2S_PYTHON ?? "python3";
  try {
    const out = execFileSync(python, [path.join(root, "tests/hosts/make_js_fixture.py"), ...bundles],
      { maxBuffer: 1 << 28, encoding: "utf-8" });
    return JSON.parse(out);
  } catch (error) {
    throw new Error(`the parity fixture needs the Python runtime: set S2S_PYTHON to a Python with s2s-onnx installed (${error.message.split("\n")[0]})`);
  }
}

const fixture = pythonFixture();

for (const entry of fixture) {
  const name = path.basename(entry.bundle);
  test(`${name}: tokenizers identical to the Python runtime`, async () => {
    const translator = await Translator.load(entry.bundle, { threads: 1 });
    for (const [side, tokenizer] of [["source", translator.sourceTokenizer], ["target", translator.targetTokenizer]]) {
      const { texts, ids, decoded } = entry.tokenizers[side];
      const mismatches = texts.filter((text, i) => JSON.stringify(tokenizer.encode(text)) !== JSON.stringify(ids[i]));
      assert.deepEqual(mismatches.slice(0, 5), [], `${side}: ${mismatches.length} of ${texts.length} strings differ`);
      const wrong = ids.filter((row, i) => tokenizer.decode(row) !== decoded[i]);
      assert.equal(wrong.length, 0, `${side}: ${wrong.length} decodings differ`);
    }
  });

  test(`${name}: translations identical to the Python runtime, at any batch size`, async () => {
    const translator = await Translator.load(entry.bundle, { threads: 1 });
    const { sentences, expected, unsplit } = entry.translations;
    assert.deepEqual(await translator.translate(sentences, { batchSize: 64 }), expected);
    assert.deepEqual(await translator.translate(sentences, { batchSize: 3 }), expected);
    assert.deepEqual(await translator.translate(sentences, { splitSentences: false }), unsplit);
  });

  test(`${name}: sentence splitting identical to the Python runtime`, () => {
    const language = name.startsWith("deu") ? "de" : "en";
    const wrong = entry.splits.filter(([text, parts, separators]) =>
      JSON.stringify(splitSentences(text, language)) !== JSON.stringify([parts, separators]));
    assert.deepEqual(wrong.slice(0, 3), [], `${wrong.length} of ${entry.splits.length} texts split differently`);
  });
}
