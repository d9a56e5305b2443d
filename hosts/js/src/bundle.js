// Reading a model bundle (a directory or a .zip): the manifest checked, every listed file read
// once and verified (size and sha256), nothing outside the bundle touched (docs/bundle-format.md).
import { createHash } from "node:crypto";
import { readFile, lstat } from "node:fs/promises";
import path from "node:path";

import { BundleError } from "./errors.js";
import { zipMembers } from "./zip.js";

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
 * Load a bundle, a directory or a .zip: {manifest, files: Map(name -> Uint8Array)} with every
 * file verified.
 * @param {string} origin
 */
export async function loadBundle(origin) {
  let info;
  try {
    info = await lstat(origin);
  } catch {
    throw new BundleError(`model bundle not found: ${origin}`);
  }
  if (info.isFile()) return loadZip(origin);
  if (!info.isDirectory()) throw new BundleError(`${origin} is neither a bundle directory nor a .zip bundle`);
  const where = path.join(origin, MANIFEST);
  let raw;
  try {
    raw = await readFile(where);
  } catch {
    throw new BundleError(`not a model bundle: ${origin} has no ${MANIFEST}`);
  }
  const manifest = checkManifest(parseJson(raw, where), where);
  const files = new Map();
  for (const [name, entry] of Object.entries(manifest.files)) {
    const file = path.join(origin, name);
    let stat;
    try {
      stat = await lstat(file);
    } catch {
      throw new BundleError(`incomplete bundle ${origin}: ${name} is missing`);
    }
    if (!stat.isFile()) throw new BundleError(`${file} is not a plain file of the bundle`);
    files.set(name, verified(name, new Uint8Array(await readFile(file)), entry, origin));
  }
  return { manifest, files, origin };
}

function verified(name, bytes, entry, origin) {
  if (bytes.length !== entry.bytes || createHash("sha256").update(bytes).digest("hex") !== entry.sha256) {
    throw new BundleError(`checksum mismatch: ${name} in ${origin} is corrupt or was modified`);
  }
  return bytes;
}

const MAX_MANIFEST_BYTES = 1 << 20;

async function loadZip(origin) {
  const bytes = new Uint8Array(await readFile(origin));
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new BundleError(`${origin} is neither a bundle directory nor a .zip bundle`);
  }
  const members = zipMembers(bytes, origin);
  // The files sit at the zip's root or inside one folder, as in the Python runtime.
  let prefix = "";
  if (!members.has(MANIFEST)) {
    const candidates = [...members.keys()].filter((n) => n.split("/").length === 2 && n.endsWith(`/${MANIFEST}`));
    if (candidates.length !== 1) throw new BundleError(`not a model bundle: ${origin} holds no ${MANIFEST}`);
    prefix = candidates[0].slice(0, -MANIFEST.length);
  }
  const read = (name, limit) => {
    const member = members.get(prefix + name);
    if (!member) throw new BundleError(`incomplete bundle ${origin}: ${name} is missing`);
    return member.read(limit);
  };
  const where = `${origin}:${MANIFEST}`;
  const manifest = checkManifest(parseJson(read(MANIFEST, MAX_MANIFEST_BYTES), where), where);
  const files = new Map();
  for (const [name, entry] of Object.entries(manifest.files)) {
    files.set(name, verified(name, read(name, entry.bytes), entry, origin));
  }
  return { manifest, files, origin };
}
