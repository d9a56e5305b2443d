// Bad bundles: one clear BundleError, nothing outside the bundle read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, writeFile, appendFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { BundleError, Translator, loadBundle } from "../src/index.js";

const shipped = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../models/eng-fra");

async function copy() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "s2s-js-"));
  await cp(shipped, dir, { recursive: true });
  return dir;
}

async function editManifest(dir, change) {
  const file = path.join(dir, "model.json");
  const manifest = JSON.parse(await readFile(file, "utf-8"));
  change(manifest);
  await writeFile(file, JSON.stringify(manifest));
}

test("the shipped bundle loads and translates", async () => {
  const translator = await Translator.load(shipped, { threads: 1 });
  const [french] = await translator.translate(["I am a student."]);
  assert.match(french, /étudiant/);
});

const cases = {
  "missing bundle": async () => path.join(os.tmpdir(), "no-such-bundle"),
  "modified graph": async () => { const d = await copy(); await appendFile(path.join(d, "decoder.onnx"), "x"); return d; },
  "newer format": async () => { const d = await copy(); await editManifest(d, (m) => { m.format_version = 99; }); return d; },
  "unknown cell": async () => { const d = await copy(); await editManifest(d, (m) => { m.architecture.cell = "transformer"; }); return d; },
  "path outside": async () => {
    const d = await copy();
    await editManifest(d, (m) => { m.files["../../etc/hostname"] = m.files["README.md"]; });
    return d;
  },
  "not json": async () => { const d = await copy(); await writeFile(path.join(d, "model.json"), "{"); return d; },
};

for (const [name, make] of Object.entries(cases)) {
  test(`refused: ${name}`, async () => {
    const dir = await make();
    await assert.rejects(loadBundle(dir), BundleError);
    if (dir.startsWith(os.tmpdir()) && !dir.endsWith("no-such-bundle")) await rm(dir, { recursive: true });
  });
}
