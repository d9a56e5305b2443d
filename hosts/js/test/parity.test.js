// The JavaScript host against the Python runtime, on the shipped bundles: identical token ids,
// decoded strings and translations. The Python side is computed now, by the Python runtime
// ($S2S_PYTHON, default python3, with s2s-onnx installed), never committed by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Translator, splitSentences } from "../src/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
// Each shipped bundle with the test set it is held to (the first 500 lines of each).
const data = path.join(root, "../shared/data");
// Without the corpora beside the checkout (CI has them), the test-set checks are skipped, saying so.
const bundles = [["models/eng-fra", "tatoeba-eng-fra/test.tsv"], ["models/deu-eng", "multi30k/test_2016_flickr.de"]]
  .map(([bundle, test]) => path.join(root, bundle) + (existsSync(path.join(data, test)) ? `=${path.join(data, test)}` : ""));
const noTestSet = `no test sets in ${data}`;

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

// Without S2S_PYTHON, a machine lacking a Python with s2s-onnx skips these tests, saying why; with
// it (CI sets it), a failing fixture fails the run.
let fixture = [];
try {
  fixture = pythonFixture();
} catch (error) {
  if (process.env.S2S_PYTHON) throw error;
  test("parity with the Python runtime", { skip: error.message }, () => {});
}

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


for (const entry of fixture.filter((e) => e.test_set)) {
  const name = path.basename(entry.bundle);
  const { file, sentences, expected } = entry.test_set;

  test(`${name}: the first ${sentences.length} lines of ${path.basename(file)} translate as in Python`, async () => {
    const translator = await Translator.load(entry.bundle, { threads: 2 });
    const output = await translator.translate(sentences, { batchSize: 64 });
    const differ = output.filter((line, i) => line !== expected[i]).length;
    assert.equal(differ, 0, `${differ} of ${sentences.length} translations differ`);
  });

  test(`${name}: beam search (5) gives the Python runtime's translations`, async () => {
    const translator = await Translator.load(entry.bundle, { threads: 2 });
    const { beam5 } = entry.test_set;
    const output = await translator.translate(sentences.slice(0, beam5.length), { beamSize: 5, batchSize: 16 });
    const differ = output.filter((line, i) => line !== beam5[i]).length;
    assert.equal(differ, 0, `${differ} of ${beam5.length} beam-5 translations differ`);
  });

  test(`${name}: s2s-translate-js writes what s2s-translate writes`, () => {
    const cli = path.join(root, "hosts/js/bin/s2s-translate-js.js");
    const run = spawnSync(process.execPath, [cli, "-m", entry.bundle], {
      input: sentences.map((line) => line + "\n").join(""), encoding: "utf-8", maxBuffer: 1 << 26 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.split("\n").slice(0, -1), expected);
  });
}

// onnxruntime-web (WebAssembly, here run in Node) computes int8 products with other kernels than
// the native build, so a near-tie may resolve the other way: the first shipped bundle's first 500
// test lines must agree with the Python runtime on all but 1% (498 of 500 when measured: one
// sentence, present twice, with "tous"/"toutes" at a near-tie).
test("onnxruntime-web: the test lines translate as in Python but for rare near-ties",
  { skip: (!fixture.length && "no Python fixture") || (!fixture[0].test_set && noTestSet) }, async () => {
  const ortWeb = await import("onnxruntime-web");
  ortWeb.env.wasm.numThreads = 1;
  const { loadBundle } = await import("../src/bundle.js");
  const { Translator: BaseTranslator } = await import("../src/translator.js");
  const [entry] = fixture;
  const web = await BaseTranslator.create(await loadBundle(entry.bundle), ortWeb, { executionProviders: ["wasm"] });
  const { sentences, expected } = entry.test_set;
  const output = await web.translate(sentences, { batchSize: 64 });
  const differ = output.filter((line, i) => line !== expected[i]).length;
  console.log(`# onnxruntime-web: ${sentences.length - differ} of ${sentences.length} identical`);
  assert.ok(differ <= sentences.length / 100, `${differ} of ${sentences.length} translations differ`);
});

// A bundle with greedy.onnx (made by the Python exporter from the shipped one): small batches take
// the one-call graph and must give the same translations.
test("eng-fra with greedy.onnx: the one-call graph translates as the step loop",
  { skip: (!fixture.length && "no Python fixture") || (!fixture[0].test_set && noTestSet) }, async (t) => {
  const [entry] = fixture;
  const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
  const os = await import("node:os");
  const dir = await mkdtemp(path.join(os.tmpdir(), "s2s-js-greedy-"));
  const sample = path.join(dir, "sample.txt");
  await writeFile(sample, entry.test_set.sentences.slice(0, 50).join("\n") + "\n");
  const made = spawnSync(process.env.S2S_PYTHON ?? "python3", ["-m", "s2s.export.add_greedy", entry.bundle, "-o",
    path.join(dir, "bundle"), "--sample", sample], { encoding: "utf-8" });
  if (made.status !== 0 && /No module named '(onnx|torch)'/.test(made.stderr) && !process.env.S2S_REQUIRE_EXPORT) {
    // The runtime-only install cannot export: this test needs train/ installed (pip install -e ".[dev]" -e ./train).
    t.skip(`python -m s2s.export.add_greedy needs train/ installed: ${made.stderr.trim().split("\n").at(-1)}`);
    await rm(dir, { recursive: true });
    return;
  }
  assert.equal(made.status, 0, made.stderr);
  const translator = await Translator.load(path.join(dir, "bundle"), { threads: 2 });
  assert.ok(translator.oneCall, "greedy.onnx was not loaded");
  const { sentences, expected } = entry.test_set;
  const output = await translator.translate(sentences.slice(0, 100), { batchSize: 1 });
  assert.deepEqual(output, expected.slice(0, 100));
  await rm(dir, { recursive: true });
});

// Protection: the same spans protected, the same restorations (repairs included), and, with a
// bundle trained with placeholders, the same translations with a glossary and keep terms.
for (const entry of fixture) {
  const name = path.basename(entry.bundle);
  const { glossary, keep, cases, restore: restoreCases, translations } = entry.protection;

  test(`${name}: protection finds the spans the Python runtime finds`, async () => {
    const translator = await Translator.load(entry.bundle, { threads: 1 });
    const protector = translator.protector(true, glossary, keep);
    const wrong = cases.filter(({ input, text, items }) =>
      JSON.stringify(protector.protect(input)) !== JSON.stringify({ text, items }));
    assert.deepEqual(wrong.slice(0, 3).map((c) => [c, protector.protect(c.input)]), [],
      `${wrong.length} of ${cases.length} protected differently`);
  });

  test(`${name}: restoring (and repairing) gives the Python runtime's text`, async () => {
    const { restore } = await import("../src/protection.js");
    const wrong = restoreCases.filter((c) => {
      const positions = new Map(Object.entries(c.positions).map(([k, v]) => [Number(k), v]));
      // The fixture's token ends count code points (Python's str); JavaScript's count UTF-16 units.
      const units = [0];
      for (const char of c.output) units.push(units.at(-1) + char.length);
      const ends = c.ends.map((end) => units[end]);
      const got = restore({ text: c.text, items: c.items }, c.output, ends, positions, c.attention);
      return JSON.stringify(got) !== JSON.stringify(c.expected);
    });
    assert.deepEqual(wrong.slice(0, 3), [], `${wrong.length} of ${restoreCases.length} restored differently`);
  });

  test(`${name}: translations with protection, a glossary and keep terms as in Python`,
    { skip: !translations && "the bundle was not trained with placeholders" }, async () => {
    const translator = await Translator.load(entry.bundle, { threads: 1 });
    const texts = cases.slice(0, translations.expected.length).map((c) => c.input);
    assert.deepEqual(await translator.translate(texts, { glossary, keep }), translations.expected);
    assert.deepEqual(await translator.translate(texts, { glossary, keep, beamSize: 5, batchSize: 4 }), translations.beam5);
    assert.deepEqual(await translator.translate(texts, { protect: false }), translations.unprotected);
  });
}
