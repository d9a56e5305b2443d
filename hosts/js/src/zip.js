// Reading the members of a .zip bundle in memory: the central directory is the index, each
// member is inflated (stored or deflate, the two methods a bundle's zip uses) and capped at the
// size the caller allows. Nothing is extracted; zip64 is refused (a bundle is far below 4 GiB).
import { inflateRawSync } from "node:zlib";

import { BundleError } from "./errors.js";

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * The members of the zip in `bytes`: Map(name -> {read(limit) -> Uint8Array, size}).
 * @param {Uint8Array} bytes
 * @param {string} where  the zip's name, for error messages
 */
export function zipMembers(bytes, where) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (what) => new BundleError(`${where} is not a readable .zip bundle (${what})`);
  // The end-of-central-directory record: 22 bytes plus a comment of at most 65,535.
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD) { end = i; break; }
  }
  if (end < 0) throw bad("no central directory");
  const count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  if (count === 0xffff || offset === 0xffffffff) throw bad("zip64 is not supported");
  const decoder = new TextDecoder("utf-8");
  const members = new Map();
  for (let n = 0; n < count; n++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL) throw bad("damaged central directory");
    const method = view.getUint16(offset + 10, true);
    const compressed = view.getUint32(offset + 20, true);
    const size = view.getUint32(offset + 24, true);
    const nameLength = view.getUint16(offset + 28, true);
    const skip = nameLength + view.getUint16(offset + 30, true) + view.getUint16(offset + 32, true);
    const local = view.getUint32(offset + 42, true);
    const name = decoder.decode(bytes.subarray(offset + 46, offset + 46 + nameLength));
    offset += 46 + skip;
    if (name.endsWith("/")) continue;
    members.set(name, {
      size,
      read(limit) {
        if (size > limit) throw new BundleError(`${where}: ${name} is larger than its manifest entry allows`);
        if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) throw bad(`damaged entry ${name}`);
        const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
        const data = bytes.subarray(start, start + compressed);
        if (data.length !== compressed) throw bad(`truncated entry ${name}`);
        if (method === 0) return data;
        if (method !== 8) throw bad(`${name} uses compression method ${method}`);
        try {
          // maxOutputLength: a member inflating past its announced size is refused, not buffered.
          const out = inflateRawSync(data, { maxOutputLength: Math.max(limit, 1) });
          return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
        } catch (error) {
          throw bad(`cannot inflate ${name}: ${error.message}`);
        }
      },
    });
  }
  return members;
}
