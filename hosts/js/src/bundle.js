// Reading a model bundle directory: the manifest checked, every listed file read once and
// verified (size and sha256), nothing outside the bundle touched (docs/bundle-format.md).
import { createHash } from "node:crypto";
import { readFile, lstat } from "node:fs/promises";
import path from "node:path";

import { BundleError } from "./errors.js";

export const FORMAT_VERSION = 1;
export const MANIFEST = "model.json";
export const REQUIRED_FILES = ["encoder.onnx", "decoder.onnx", "source.tokenizer.json", "target.tokenizer.json"];
const CELLS = ["rnn", "gru", "lstm"];
const ATTENTIONS = ["none", "bahdanau", "luong"];
const MAX_FILE_BYTES = 2 ** 32;

function fail(where, field, problem) {
  throw new BundleError(`${where}: ${field} ${problem}`);
}

function integer(where, object, key, name, low, high) {
  const value = object?.[key];
  if (value === undefined || value === null) fail(where, name, "is missing");
  if (!Number.isInteger(value)) fail(where, name, `must be an integer, got ${JSON.stringify(value)}`);
  if (value < low || value > high) fail(where, name, `must be between ${low} and ${high}, got ${value}`);
  return value;
}

/** Validate what a host reads from model.json; throws BundleError naming the field. */
export function checkManifest(manifest, where) {
  if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest)) {
    throw new BundleError(`${where} is not a manifest (expected a JSON object)`);
  }
  const version = manifest.format_version;
  if (!Number.isInteger(version) || version < 1) fail(where, "format_version", "is missing or not a positive integer");
  if (version > FORMAT_VERSION) {
    throw new BundleError(`bundle format ${version} is newer than this host supports (${FORMAT_VERSION})`);
  }
  const arch = manifest.architecture;
  if (!arch || typeof arch !== "object") fail(where, "architecture", "is missing");
  if (!CELLS.includes(arch.cell)) fail(where, "architecture.cell", `must be one of ${CELLS.join(", ")}`);
  if (!ATTENTIONS.includes(arch.attention)) fail(where, "architecture.attention", `must be one of ${ATTENTIONS.join(", ")}`);
  integer(where, arch, "layers", "architecture.layers", 1, 64);
  const vocab = Math.min(integer(where, arch, "source_vocab_size", "architecture.source_vocab_size", 5, 1e7),
    integer(where, arch, "target_vocab_size", "architecture.target_vocab_size", 5, 1e7));
  for (const key of ["pad", "sos", "eos"]) integer(where, manifest.special_ids, key, `special_ids.${key}`, 0, vocab - 1);
  const decoding = manifest.decoding;
  if (!decoding || typeof decoding !== "object") fail(where, "decoding", "is missing");
  if (typeof decoding.length_ratio !== "number" || !Number.isFinite(decoding.length_ratio)
      || decoding.length_ratio < 0 || decoding.length_ratio > 1000) {
    fail(where, "decoding.length_ratio", "must be a finite number between 0 and 1000");
  }
  integer(where, decoding, "length_offset", "decoding.length_offset", 0, 100000);
  integer(where, decoding, "max_target_length", "decoding.max_target_length", 1, 100000);
  integer(where, decoding, "max_source_length", "decoding.max_source_length", 1, 100000);
  const files = manifest.files;
  if (!files || typeof files !== "object" || Array.isArray(files)) fail(where, "files", "is missing");
  for (const name of REQUIRED_FILES) if (!(name in files)) throw new BundleError(`${where} does not list ${name}`);
  for (const [name, entry] of Object.entries(files)) {
    if (!name || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name === MANIFEST) {
      fail(where, "files", `may hold only plain file names inside the bundle, got ${JSON.stringify(name)}`);
    }
    if (typeof entry?.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(entry.sha256)) {
      fail(where, `files.${name}.sha256`, "must be 64 lower-case hex digits");
    }
    integer(where, entry, "bytes", `files.${name}.bytes`, 0, MAX_FILE_BYTES);
  }
  return manifest;
}

/** Parse the JSON of one of a bundle's files (BundleError naming it otherwise). */
export function parseJson(bytes, where) {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new BundleError(`${where} is not valid JSON (${error.message})`);
  }
}

/**
 * Load a bundle directory: {manifest, files: Map(name -> Uint8Array)} with every file verified.
 * @param {string} directory
 */
export async function loadBundle(directory) {
  let info;
  try {
    info = await lstat(directory);
  } catch {
    throw new BundleError(`model bundle not found: ${directory}`);
  }
  if (!info.isDirectory()) throw new BundleError(`${directory} is not a bundle directory`);
  const where = path.join(directory, MANIFEST);
  let raw;
  try {
    raw = await readFile(where);
  } catch {
    throw new BundleError(`not a model bundle: ${directory} has no ${MANIFEST}`);
  }
  const manifest = checkManifest(parseJson(raw, where), where);
  const files = new Map();
  for (const [name, entry] of Object.entries(manifest.files)) {
    const file = path.join(directory, name);
    let stat;
    try {
      stat = await lstat(file);
    } catch {
      throw new BundleError(`incomplete bundle ${directory}: ${name} is missing`);
    }
    if (!stat.isFile()) throw new BundleError(`${file} is not a plain file of the bundle`);
    if (stat.size !== entry.bytes) throw new BundleError(`checksum mismatch: ${name} in ${directory} is corrupt or was modified`);
    const bytes = await readFile(file);
    if (createHash("sha256").update(bytes).digest("hex") !== entry.sha256) {
      throw new BundleError(`checksum mismatch: ${name} in ${directory} is corrupt or was modified`);
    }
    files.set(name, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  return { manifest, files, origin: directory };
}
