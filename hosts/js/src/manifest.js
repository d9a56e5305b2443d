// The bundle manifest (model.json) as every host reads it: checked field by field, so that a
// bad bundle gives one clear BundleError (docs/bundle-format.md). No I/O here: the Node loader
// (bundle.js) and the browser loader (browser.js) both use it.
import { BundleError } from "./errors.js";

import { BUNDLE, LIMITS, PROTECTION } from "./contract.js";

// 2 adds weights.bin (the graphs' shared weights), 3 the `protection` block (the placeholders
// the model was trained to carry); older bundles still load. The limits come from the Python
// runtime (contract.js, generated), as are the file names, cells and attentions.
export const FORMAT_VERSION = LIMITS.formatVersion;
export const { maxManifestBytes: MAX_MANIFEST_BYTES, maxBundleBytes: MAX_BUNDLE_BYTES } = LIMITS;
export const { manifest: MANIFEST, requiredFiles: REQUIRED_FILES } = BUNDLE;
const { cells: CELLS, attentions: ATTENTIONS } = BUNDLE;
const MAX_FILE_BYTES = LIMITS.maxFileBytes;

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
  if (Object.values(files).reduce((sum, entry) => sum + entry.bytes, 0) > MAX_BUNDLE_BYTES) {
    fail(where, "files", `list more than ${MAX_BUNDLE_BYTES / 2 ** 30} GiB in all, more than any bundle needs`);
  }
  const protection = manifest.protection;
  if (protection !== undefined && protection !== null) {
    if (typeof protection !== "object" || Array.isArray(protection)) fail(where, "protection", "must be an object");
    if (JSON.stringify(protection.placeholders) !== JSON.stringify(PROTECTION.placeholders)) {
      fail(where, "protection.placeholders", `must list the ${PROTECTION.placeholders.length} placeholders U+E001..U+E010`);
    }
    const share = protection.trained_share;
    if (typeof share !== "number" || !(share >= 0 && share <= 1)) fail(where, "protection.trained_share", "must be a number between 0 and 1");
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
