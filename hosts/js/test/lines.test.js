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

test("invalid UTF-8 names its own line, even inside one chunk", async () => {
  await assert.rejects(lines([Buffer.from([0x6f, 0x6b, 0x0a, 0xff, 0x0a])]), /line 2/);
});

test("a line longer than the limit is cut at a character boundary, memory bounded", async () => {
  const out = [];
  const long = Buffer.concat([Buffer.from("é".repeat(40)), Buffer.from("x".repeat(10000)), Buffer.from("\nnext\n")]);
  for await (const line of readLines(Readable.from([long]), 41)) out.push(line);
  assert.deepEqual(out, ["é".repeat(20), "next"]);  // as the Python runtime's reader cuts it
  // An endless line (as /dev/zero): 64 MiB read without growing past the limit.
  async function* zeros() { for (let i = 0; i < 64; i++) yield Buffer.alloc(1 << 20); }
  const before = process.memoryUsage().rss;
  let count = 0;
  for await (const line of readLines(zeros(), 1 << 20)) count += line.length;
  assert.equal(count, 1 << 20);
  assert.ok(process.memoryUsage().rss - before < 48 * 2 ** 20);
});
