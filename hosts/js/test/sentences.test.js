// Sentence splitting stays linear on hostile lines (it took 51 s for 256 KB of "Mr. " when each
// boundary rescanned the text before it).
import { test } from "node:test";
import assert from "node:assert/strict";

import { splitSentences } from "../src/index.js";

function seconds(text) {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    splitSentences(text);
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  return best;
}

for (const unit of ["Mr. ", ".", "!?", "a. ", " "]) {
  test(`splitting ${JSON.stringify(unit)} repeated: 4x the text, about 4x the time`, () => {
    const small = unit.repeat(Math.floor(8000 / unit.length)) + "x";
    const large = unit.repeat(Math.floor(32000 / unit.length)) + "x";
    assert.ok(seconds(large) < 8 * seconds(small) + 0.05);
  });
}
