import { LIMITS } from "./contract.js";
import { InputError } from "./errors.js";

// Lines as s2s-translate reads them (runtime/line_reader.py): split at LF only (a lone CR stays
// inside its line), one trailing CR removed, strict UTF-8 checked line by line (so an error names
// its line), and a line longer than maxLineBytes cut to that many bytes (at a character boundary)
// with the rest skipped: memory stays bounded whatever the input (/dev/zero included).

/** `bytes` without its last character if a cut split it (a UTF-8 sequence short of bytes). */
function cut(bytes) {
  let start = bytes.length - 1;
  while (start > 0 && (bytes[start] & 0xc0) === 0x80 && bytes.length - start < 4) start--;
  if (start < 0) return bytes;
  const lead = bytes[start];
  const needed = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  return bytes.length - start >= needed ? bytes : bytes.subarray(0, start);
}

export async function* readLines(stream, maxLineBytes = LIMITS.maxLineBytes) {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let parts = [];
  let size = 0;
  let longer = false;
  let number = 0;
  const finish = () => {
    number++;
    let bytes = Buffer.concat(parts);
    if (longer) bytes = cut(bytes);
    parts = [];
    size = 0;
    longer = false;
    let text;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new InputError(`standard input is not UTF-8 text (line ${number})`);
    }
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  };
  for await (const chunk of stream) {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline;
      const take = Math.max(0, Math.min(end - start, maxLineBytes - size));
      if (take) parts.push(chunk.subarray(start, start + take));
      size += take;
      if (end - start > take) longer = true;
      if (newline < 0) break;
      yield finish();
      start = newline + 1;
    }
  }
  if (size || longer) yield finish();
}
