// Time linear in the input: protection (its rules and glossary matching) and sentence splitting
// on hostile inputs of two sizes; ten times the input may not take more than fifteen times as long
// (a quadratic step takes a hundred times). The Python runtime has the same test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Protector } from "../src/protection.js";
import { splitSentences } from "../src/sentences.js";

const SMALL = 20000;
const FLOOR_MS = 5;

function bestOfFive(work) {
  let best = Infinity;
  for (let i = 0; i < 5; i += 1) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

function assertLinear(run, small = SMALL) {
  run(small); // warm
  const short = bestOfFive(() => run(small));
  const long = bestOfFive(() => run(10 * small));
  assert.ok(long <= 15 * Math.max(short, FLOOR_MS), `x10 input took x${(long / Math.max(short, 1e-6)).toFixed(0)} (${short.toFixed(1)} ms -> ${long.toFixed(1)} ms)`);
}

const HOSTILE = { letters: "a", dots: ".", hyphenated: "a-", dotted: "a.", "drive paths": "a:\\", digits: "1.", "at signs": "a@", slashes: "a/", "scheme-like": "a+", hash: "#", mixed: "a1-" };

for (const [name, unit] of Object.entries(HOSTILE)) {
  test(`protection is linear on one long unbroken word: ${name}`, () => {
    const protector = new Protector(() => true);
    assertLinear((n) => protector.protect(unit.repeat(Math.floor((n * 4) / unit.length))));
  });
}

test("glossary matching is linear on long lines and words", () => {
  const protector = new Protector(() => true, { glossary: { "New York City": "NYC", "a a b": "x" }, keep: ["a-a"] });
  assertLinear((n) => protector.protect("a ".repeat(n * 2)));
  assertLinear((n) => protector.protect("a".repeat(n * 4)));
  assertLinear((n) => protector.protect("new york ".repeat(n)));
});

test("sentence splitting is linear", () => {
  for (const text of ["a. ", "Mr. ", "...", "! ? "]) assertLinear((n) => splitSentences(text.repeat(n * 2), "en"));
});
