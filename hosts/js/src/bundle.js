// Reading a model bundle (a directory or a .zip): the manifest checked, every listed file read
// once and verified (size and sha256), nothing outside the bundle touched (docs/bundle-format.md).
import { createHash } from "node:crypto";
import { lstat, open } from "node:fs/promises";
import path from "node:path";

import { BundleError } from "./errors.js";
import { MANIFEST, MAX_BUNDLE_BYTES, MAX_MANIFEST_BYTES, checkManifest, parseJson } from "./manifest.js";
import { zipMembers } from "./zip.js";

export { FORMAT_VERSION, MANIFEST, REQUIRED_FILES, checkManifest, parseJson } from "./manifest.js";

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
  if (info.isFile()) return loadZip(origin, info.size);
  if (!info.isDirectory()) throw new BundleError(`${origin} is neither a bundle directory nor a .zip bundle`);
  const where = path.join(origin, MANIFEST);
  let manifestInfo;
  try {
    manifestInfo = await lstat(where);
  } catch {
    throw new BundleError(`not a model bundle: ${origin} has no ${MANIFEST}`);
  }
  // A link (out of the bundle, to /dev/zero), a FIFO or a device is never opened.
  if (!manifestInfo.isFile()) throw new BundleError(`${where} is not a plain file of the bundle`);
  if (manifestInfo.size > MAX_MANIFEST_BYTES) throw new BundleError(`${where} is too large to be a manifest`);
  const manifest = checkManifest(parseJson(await readAtMost(where, MAX_MANIFEST_BYTES), where), where);
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
    // The size is checked before reading: a 3 GB file is refused, not read whole first.
    if (stat.size !== entry.bytes) throw new BundleError(`checksum mismatch: ${name} in ${origin} is corrupt or was modified`);
    files.set(name, verified(name, await readAtMost(file, entry.bytes), entry, origin));
  }
  return { manifest, files, origin };
}

function verified(name, bytes, entry, origin) {
  if (bytes.length !== entry.bytes || createHash("sha256").update(bytes).digest("hex") !== entry.sha256) {
    throw new BundleError(`checksum mismatch: ${name} in ${origin} is corrupt or was modified`);
  }
  return bytes;
}

/** At most `limit` bytes of a regular file (one more, to tell a longer file). */
async function readAtMost(file, limit) {
  const handle = await open(file, "r");
  try {
    const buffer = new Uint8Array(limit + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (!bytesRead) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

async function loadZip(origin, size) {
  // A zip larger than any bundle can be (its members' bytes plus a manifest) is refused unread.
  if (size > MAX_BUNDLE_BYTES + MAX_MANIFEST_BYTES) throw new BundleError(`${origin} is larger than any bundle can be`);
  const bytes = await readAtMost(origin, size);
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
