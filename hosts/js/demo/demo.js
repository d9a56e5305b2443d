// The demo page: the bundle is fetched and verified, each line translated with onnxruntime-web,
// and the attention of the last sentence drawn (source tokens across, translation down).
import { Translator, ort, splitSentences } from "../src/browser.js";

// Without cross-origin isolation the page has no SharedArrayBuffer: one WebAssembly thread.
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = new URL("../node_modules/onnxruntime-web/dist/", import.meta.url).href;

const $ = (id) => document.getElementById(id);
const model = new URLSearchParams(location.search).get("model") ?? "../../../models/eng-fra/";

function label(token) {
  if (token === "\u2581") return "␣";
  return token.startsWith("\u2581") ? token.slice(1) : "·" + token;
}

function drawAttention(canvas, { sourceTokens, targetTokens, attention }) {
  const cell = 22, font = "12px system-ui, sans-serif";
  const context = canvas.getContext("2d");
  context.font = font;
  const left = 8 + Math.max(0, ...targetTokens.map((t) => context.measureText(label(t)).width));
  const top = 8 + Math.max(0, ...sourceTokens.map((t) => context.measureText(label(t)).width)) * 0.75;
  canvas.width = Math.ceil(left + cell * sourceTokens.length + 8);
  canvas.height = Math.ceil(top + cell * targetTokens.length + 8);
  context.font = font;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  attention.forEach((row, i) => row.forEach((weight, j) => {
    const shade = Math.round(255 * (1 - weight));
    context.fillStyle = `rgb(${shade}, ${shade}, ${shade})`;
    context.fillRect(left + j * cell, top + i * cell, cell - 1, cell - 1);
  }));
  context.fillStyle = "#222";
  context.textBaseline = "middle";
  context.textAlign = "right";
  targetTokens.forEach((t, i) => context.fillText(label(t), left - 4, top + i * cell + cell / 2));
  context.textAlign = "left";
  sourceTokens.forEach((t, j) => {
    context.save();
    context.translate(left + j * cell + cell / 2, top - 4);
    context.rotate(-Math.PI / 4);
    context.fillText(label(t), 0, 0);
    context.restore();
  });
}

async function main() {
  const started = performance.now();
  const translator = await Translator.load(model);
  $("status").textContent = `Model ${translator.bundle.manifest.name ?? ""} loaded and verified in `
    + `${Math.round(performance.now() - started)} ms; nothing leaves this page.`;
  $("translate").disabled = false;
  document.body.dataset.state = "ready";
  $("translate").addEventListener("click", async () => {
    document.body.dataset.state = "translating";
    const lines = $("source").value.split("\n");
    const began = performance.now();
    $("output").textContent = (await translator.translate(lines)).join("\n");
    const last = lines.filter((line) => line.trim()).at(-1);
    if (last && translator.attention !== "none") {
      const [sentences] = splitSentences(last, translator.bundle.manifest.languages?.source ?? "en");
      drawAttention($("attention"), await translator.translateWithAttention(sentences.at(-1)));
    }
    $("status").textContent = `Translated in ${Math.round(performance.now() - began)} ms.`;
    document.body.dataset.state = "done";
  });
}

main().catch((error) => {
  $("status").textContent = `Error: ${error.message}`;
  document.body.dataset.state = "error";
});
