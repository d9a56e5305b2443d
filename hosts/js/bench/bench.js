#!/usr/bin/env node
// Speed of the JavaScript host against the Python runtime on the same sentences, machine and
// threads: batch-1 latency (p50) and throughput at batch 64, for onnxruntime-node and
// onnxruntime-web (WebAssembly, one thread, run in Node) and for the Python runtime.
//
//   node bench/bench.js [-m BUNDLE] [-i TEST_FILE] [--sentences N] [--python PYTHON] [--web-only]
//
// --web-only measures onnxruntime-web alone (to compare bundles written for it, e.g. by
// python -m s2s.export.for_web, with the int8 bundle they came from).
// Prints a Markdown table. Run it on an otherwise idle machine.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { loadBundle } from "../src/bundle.js";
import { Translator } from "../src/index.js";
import { Translator as BaseTranslator } from "../src/translator.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const bundle = option("-m", path.join(root, "models/eng-fra"));
const testFile = option("-i", path.join(root, "../shared/data/tatoeba-eng-fra/test.tsv"));
const count = Number(option("--sentences", "500"));
const python = option("--python", process.env.S2S_PYTHON ?? "python3");
const sentences = readFileSync(testFile, "utf-8").split("\n").filter(Boolean).slice(0, count).map((l) => l.split("\t")[0]);

async function measure(translator) {
  await translator.translate(sentences.slice(0, 20));  // warm-up
  const latencies = [];
  for (const sentence of sentences.slice(0, 200)) {
    const started = performance.now();
    await translator.translate([sentence], { batchSize: 1 });
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const started = performance.now();
  await translator.translate(sentences, { batchSize: 64 });
  return { p50: latencies[Math.floor(latencies.length / 2)], perSecond: sentences.length / ((performance.now() - started) / 1000) };
}

const PYTHON_BENCH = `
import json, statistics, sys, time
from s2s.runtime import Translator
sentences = json.load(sys.stdin)
translator = Translator.load(sys.argv[1], threads=int(sys.argv[2]))
translator.translate(sentences[:20])
latencies = []
for sentence in sentences[:200]:
    started = time.perf_counter(); translator.translate([sentence], batch_size=1)
    latencies.append(1000 * (time.perf_counter() - started))
started = time.perf_counter(); translator.translate(sentences, batch_size=64)
print(json.dumps({"p50": statistics.median(latencies), "perSecond": len(sentences) / (time.perf_counter() - started)}))
`;

function measurePython(threads) {
  const out = execFileSync(python, ["-c", PYTHON_BENCH, bundle, String(threads)], { input: JSON.stringify(sentences), encoding: "utf-8" });
  return JSON.parse(out);
}

const rows = [];
for (const threads of args.includes("--web-only") ? [] : [1, 2]) {
  rows.push([`Python runtime (onnxruntime ${threads} thread${threads > 1 ? "s" : ""})`, measurePython(threads)]);
  rows.push([`Node host (onnxruntime-node, ${threads} thread${threads > 1 ? "s" : ""})`, await measure(await Translator.load(bundle, { threads }))]);
}
const ortWeb = await import("onnxruntime-web");
ortWeb.env.wasm.numThreads = 1;
const web = await BaseTranslator.create(await loadBundle(bundle), ortWeb, { executionProviders: ["wasm"] });
rows.push(["Node host (onnxruntime-web, WebAssembly, 1 thread)", await measure(web)]);

console.log(`Machine: ${os.cpus()[0].model}, ${os.cpus().length} cores; Node ${process.version}; ${sentences.length} sentences of ${path.basename(testFile)}; bundle ${path.basename(bundle)}.\n`);
console.log("| host | batch-1 p50 ms | batch 64 sentences/s |\n|---|---|---|");
for (const [label, r] of rows) console.log(`| ${label} | ${r.p50.toFixed(2)} | ${r.perSecond.toFixed(0)} |`);
