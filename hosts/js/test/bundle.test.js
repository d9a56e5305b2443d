// Bad bundles: one clear BundleError, nothing outside the bundle read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, writeFile, appendFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";

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

// Zip bundles are made by Python's zipfile (what s2s-export --zip uses).
function zipOf(directory, zipPath, { folder = "", extra = {} } = {}) {
  const script = `
import json, pathlib, sys, zipfile
source, target, folder, extra = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
    for path in sorted(pathlib.Path(source).iterdir()):
        data = path.read_bytes() + extra.get(path.name, "").encode()
        archive.writestr(folder + path.name, data)
`;
  execFileSync(process.env.S2S_PYTHON ?? "python3", ["-c", script, directory, zipPath, folder, JSON.stringify(extra)]);
  return zipPath;
}

test("a .zip bundle, at its root or in one folder, translates as the directory does", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "s2s-js-zip-"));
  const expected = await (await Translator.load(shipped, { threads: 1 })).translate(["I am a student.", "Is it you?"]);
  for (const folder of ["", "eng-fra/"]) {
    const zipped = zipOf(shipped, path.join(dir, `b${folder ? "-folder" : ""}.zip`), { folder });
    const translator = await Translator.load(zipped, { threads: 1 });
    assert.deepEqual(await translator.translate(["I am a student.", "Is it you?"]), expected);
  }
  await rm(dir, { recursive: true });
});

test("refused: a zip member larger than its manifest entry, and a file that is no zip", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "s2s-js-zip-"));
  const padded = zipOf(shipped, path.join(dir, "padded.zip"), { extra: { "decoder.onnx": "x".repeat(100000) } });
  await assert.rejects(loadBundle(padded), (error) => error instanceof BundleError && /larger than its manifest/.test(error.message));
  await writeFile(path.join(dir, "plain.zip"), "not a zip at all");
  await assert.rejects(loadBundle(path.join(dir, "plain.zip")), BundleError);
  await rm(dir, { recursive: true });
});

// Reads with bounds: a manifest that is a link (to /dev/zero) or a FIFO is never opened, a listed
// file of the wrong size is refused before it is read, a manifest listing more than any bundle
// needs is refused before any file is read.
const bounded = {
  "manifest linked to /dev/zero": async () => {
    const d = await copy();
    await rm(path.join(d, "model.json"));
    const { symlink } = await import("node:fs/promises");
    await symlink("/dev/zero", path.join(d, "model.json"));
    return d;
  },
  "manifest as a FIFO": async () => {
    const d = await copy();
    await rm(path.join(d, "model.json"));
    execFileSync("mkfifo", [path.join(d, "model.json")]);
    return d;
  },
  "a listed file larger than listed": async () => {
    const d = await copy();
    const { truncate } = await import("node:fs/promises");
    await truncate(path.join(d, "weights.bin"), 3 * 2 ** 30);  // sparse: 3 GB announced, nothing to read
    return d;
  },
  "more than any bundle needs": async () => {
    const d = await copy();
    await editManifest(d, (m) => { m.files["extra.bin"] = { sha256: "0".repeat(64), bytes: 2 ** 30 }; m.files["weights.bin"].bytes = 2 ** 29; });
    return d;
  },
};

for (const [name, make] of Object.entries(bounded)) {
  test(`bounded read: ${name}`, async () => {
    const dir = await make();
    const started = Date.now();
    await assert.rejects(loadBundle(dir), BundleError);
    assert.ok(Date.now() - started < 5000);
    await rm(dir, { recursive: true, force: true });
  });
}
