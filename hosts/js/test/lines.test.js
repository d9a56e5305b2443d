// s2s-translate-js reads lines exactly as s2s-translate does (runtime/line_reader.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";

import { InputError } from "../src/errors.js";
import { readLines } from "../src/lines.js";

async function lines(chunks) {
  const out = [];
  for await (const line of readLines(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(line);
  return out;
}

test("lines end at LF only; one trailing CR is removed; a lone CR stays in its line", async () => {
  assert.deepEqual(await lines(["one\r", "two\r\n", "three\n", "four"]), ["one\rtwo", "three", "four"]);
  assert.deepEqual(await lines(["\n\n"]), ["", ""]);
  assert.deepEqual(await lines([]), []);
});

test("a character split across chunks is read whole; invalid UTF-8 is one InputError", async () => {
  const bytes = Buffer.from("café\n");
  assert.deepEqual(await lines([bytes.subarray(0, 4), bytes.subarray(4)]), ["café"]);  // "é" is bytes 3-4
  await assert.rejects(lines([Buffer.from("ok\n"), Buffer.from([0xff, 0x0a])]), InputError);
});
