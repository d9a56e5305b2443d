#!/usr/bin/env node
// s2s-translate-js -m BUNDLE: sentences one a line on stdin, translations one a line on stdout.
import { BundleError, InputError, Translator } from "../src/index.js";
import { readLines } from "../src/lines.js";

function usage() {
  return "usage: s2s-translate-js -m BUNDLE [--threads N] [--batch-size N] [--beam-size N] < sentences.txt > translations.txt";
}

async function main(argv) {
  const options = { model: null, threads: 2, batchSize: 64, beamSize: 1 };
  const numeric = { "--threads": "threads", "--batch-size": "batchSize", "--beam-size": "beamSize" };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "-h" || flag === "--help") { console.log(usage()); return 0; }
    if (value === undefined) throw new InputError(`${flag} needs a value (${usage()})`);
    if (flag === "-m" || flag === "--model") options.model = value;
    else if (flag in numeric) {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 1) throw new InputError(`${flag} must be a positive integer`);
      options[numeric[flag]] = number;
    } else throw new InputError(`unknown option ${flag} (${usage()})`);
    i++;
  }
  if (!options.model) throw new InputError(`-m BUNDLE is required (${usage()})`);
  const translator = await Translator.load(options.model, { threads: options.threads });
  const chunk = options.batchSize * 16;
  let lines = [];
  const flush = async () => {
    const out = await translator.translate(lines, { batchSize: options.batchSize, beamSize: options.beamSize });
    process.stdout.write(out.map((line) => line + "\n").join(""));
    lines = [];
  };
  for await (const line of readLines(process.stdin)) {
    lines.push(line);
    if (lines.length === chunk) await flush();
  }
  if (lines.length) await flush();
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
  if (error instanceof BundleError || error instanceof InputError) {
    process.stderr.write(`s2s-translate-js: error: ${error.message}\n`);
    process.exitCode = 2;
  } else throw error;
});
