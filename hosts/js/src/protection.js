// Protection, as the Python runtime does it (runtime/decoding/protection.py): names, numbers, codes,
// URLs, e-mail addresses, paths and the user's terms become placeholders before translation and
// come back unchanged after it; a placeholder the model dropped is put back after the target
// token that attends to it most. The patterns come from the Python runtime (contract.js).
import { InputError } from "./errors.js";
import { PROTECTION } from "./contract.js";
import { TermMatcher } from "./term-matcher.js";

const PLACEHOLDERS = PROTECTION.placeholders;
const FIRST = PLACEHOLDERS[0].codePointAt(0);
const PLACEHOLDER_PATTERN = new RegExp(`[${PLACEHOLDERS[0]}-${PLACEHOLDERS.at(-1)}]`, "gu");
const PRIVATE_USE = new RegExp(PROTECTION.privateUse, "gu");
const RULES = PROTECTION.rules.map(([kind, pattern]) => [kind, pattern]);
// Python's [^\W\d_] (letters and non-decimal numerals) in JavaScript's spelling.
const LETTER = "\\p{L}\\p{Nl}\\p{No}";
// Letters, hyphen-joined, never across an apostrophe (the tokenizers split there).
const NAME = new RegExp(`[${LETTER}]+(?:-[${LETTER}]+)*`, "gu");
const WS = new RegExp(`^[${PROTECTION.whitespace}]$`, "u");  // Python's str.isspace

const isSpace = (char) => char !== "" && WS.test(char);
const isAlnum = (char) => char !== "" && /^[\p{L}\p{N}]$/u.test(char);
const charAt = (text, at) => (at < text.length ? String.fromCodePoint(text.codePointAt(at)) : "");
const charBefore = (text, at) => {
  const low = text.charCodeAt(at - 1);
  return at >= 2 && low >= 0xdc00 && low <= 0xdfff ? text.slice(at - 2, at) : text.slice(at - 1, at);
};

/** The placeholder ⟦n⟧ (1 <= n <= 16). */
/** Whether the name rule applies to a source language (off where every noun is capitalised). */
export function namesFor(language) {
  return !PROTECTION.nounCapitalising.includes(String(language ?? "").slice(0, 2).toLowerCase());
}

export function placeholder(number) {
  return PLACEHOLDERS[number - 1];
}

/** n for the placeholder ⟦n⟧, null for any other character. */
export function placeholderNumber(char) {
  const index = char.length === 1 ? char.codePointAt(0) - FIRST : -1;
  return index >= 0 && index < PLACEHOLDERS.length ? index + 1 : null;
}

function checkTerm(term, what) {
  if (typeof term !== "string" || !term.trim()) throw new InputError(`empty ${what}`);
  if ([...term].length > PROTECTION.maxTermChars) throw new InputError(`${what} longer than ${PROTECTION.maxTermChars} characters`);
  if (new RegExp(PROTECTION.privateUse, "u").test(term) || /\p{Cc}/u.test(term)) {
    throw new InputError(`${what} holds a control or private-use character: ${JSON.stringify(term)}`);
  }
}

export class Protector {
  /**
   * @param {(word: string) => boolean} knownWord  whether the source vocabulary holds the word whole
   * @param {{glossary?: Object<string,string>|Array<[string,string]>, keep?: string[]}} [terms]
   */
  constructor(knownWord, { glossary = [], keep = [] } = {}, names = true) {
    this.knownWord = knownWord;
    this.names = names;
    const pairs = Array.isArray(glossary) ? glossary : Object.entries(glossary ?? {});
    for (const [source, target] of pairs) {
      checkTerm(source, "glossary source term");
      checkTerm(target, "glossary target term");
    }
    for (const term of keep ?? []) checkTerm(term, "keep term");
    this.terms = [];
    if (pairs.length) this.terms.push(["glossary", new TermMatcher(pairs)]);
    if (keep?.length) this.terms.push(["keep", new TermMatcher(keep.map((term) => [term, null]))]);
  }

  /** {text: the sentence with placeholders, items: [{kind, source, output}], item n behind ⟦n⟧}. */
  protect(sentence) {
    const spans = this.spans(sentence);
    const items = [];
    const numbers = new Map();
    let out = "";
    let position = 0;
    for (const [start, end, kind, output] of spans) {
      const key = JSON.stringify([sentence.slice(start, end), output]);
      if (!numbers.has(key)) {
        if (items.length === PLACEHOLDERS.length) continue;
        items.push({ kind, source: sentence.slice(start, end), output });
        numbers.set(key, items.length);
      }
      out += sentence.slice(position, start) + placeholder(numbers.get(key));
      position = end;
    }
    return { text: out + sentence.slice(position), items };
  }

  spans(sentence) {
    const found = [];
    let precedence = 0;
    const collect = (pattern, kind, output) => {
      for (const match of sentence.matchAll(pattern)) {
        found.push([match.index, -[...match[0]].length, match[0].length, precedence, kind, output(match[0])]);
      }
      precedence += 1;
    };
    for (const [kind, matcher] of this.terms) {
      for (const [start, end, output] of matcher.find(sentence)) {
        const text = sentence.slice(start, end);
        found.push([start, -[...text].length, end - start, precedence, kind, output ?? text]);
      }
      precedence += 1;
    }
    for (const [kind, pattern] of RULES) collect(new RegExp(pattern, "gu"), kind, (text) => text);
    for (const match of this.names ? sentence.matchAll(NAME) : []) {
      const word = match[0];
      const first = String.fromCodePoint(word.codePointAt(0));
      const upperFirst = first !== first.toLowerCase() && first === first.toUpperCase();
      const allUpper = word === word.toUpperCase() && word !== word.toLowerCase();
      if ([...word].length > 1 && upperFirst && !allUpper && !this.knownWord(word) && !this.knownWord(word.toLowerCase())) {
        found.push([match.index, -[...word].length, word.length, precedence, "name", word]);
      }
    }
    precedence += 1;
    for (const match of sentence.matchAll(PRIVATE_USE)) found.push([match.index, -1, match[0].length, precedence, "private-use", match[0]]);
    // Leftmost first, then longest (in code points, as Python), then by precedence.
    found.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[3] - b[3]);
    const chosen = [];
    let covered = 0;
    for (const [start, , units, , kind, output] of found) {
      if (start >= covered) {
        chosen.push([start, start + units, kind, output]);
        covered = start + units;
      }
    }
    return chosen;
  }
}

/**
 * `output` (the translation of `protected.text`) with every placeholder replaced by its item; a
 * dropped one goes after the target token attending to it most (`tokenEnds[t]`: where token t ends
 * in `output`; `sourcePositions`: Map placeholder number -> source token index; `attention`: rows
 * of weights, one per target token), or at the end without attention.
 * @returns {{text: string, repaired: number, removed: number}}
 */
export function restore(protectedText, output, tokenEnds = [], sourcePositions = new Map(), attention = null) {
  const items = protectedText.items;
  if (!items.length) return { text: output, repaired: 0, removed: 0 };
  // An item the source holds twice is one placeholder written twice: kept as often as the source has it.
  const allowed = new Map();
  for (const match of protectedText.text.matchAll(PLACEHOLDER_PATTERN)) {
    const number = placeholderNumber(match[0]);
    allowed.set(number, (allowed.get(number) ?? 0) + 1);
  }
  const seen = new Map();
  let removed = 0;
  let text = "";
  let position = 0;
  for (const match of output.matchAll(PLACEHOLDER_PATTERN)) {
    const number = placeholderNumber(match[0]);
    const end = match.index + match[0].length;
    if (number !== null && number <= items.length && (seen.get(number) ?? 0) < (allowed.get(number) ?? 0)) {
      seen.set(number, (seen.get(number) ?? 0) + 1);
      text += output.slice(position, match.index) + match[0];
    } else {
      removed += 1;
      let before = output.slice(position, match.index);
      if (before.endsWith(" ") && !isAlnum(charAt(output, end))) before = before.slice(0, -1);
      text += before;
    }
    position = end;
  }
  text += output.slice(position);
  const missing = [];
  for (let n = 1; n <= items.length; n++) if (!seen.has(n)) missing.push(n);
  if (missing.length) text = insertMissing(text, output, missing, tokenEnds, sourcePositions, attention);
  const restored = text.replace(PLACEHOLDER_PATTERN, (char) => items[placeholderNumber(char) - 1].output);
  return { text: restored, repaired: missing.length, removed };
}

function insertMissing(text, output, missing, tokenEnds, sourcePositions, attention) {
  const insertions = missing.map((number) => {
    const column = sourcePositions.get(number);
    if (attention && column !== undefined && tokenEnds.length && attention.length && column < attention[0].length) {
      let target = 0;
      const rows = Math.min(tokenEnds.length, attention.length);
      for (let t = 1; t < rows; t++) if (attention[t][column] > attention[target][column]) target = t;
      return [tokenEnds[target], number];
    }
    return [output.length, number];
  });
  // Where each position of `output` lies in `text` (`output` with characters removed).
  const mapping = [];
  let j = 0;
  for (let i = 0; i < output.length; i++) {
    mapping.push(j);
    if (j < text.length && text[j] === output[i]) j += 1;
  }
  mapping.push(j);
  const grouped = new Map();
  insertions.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [at, number] of insertions) {
    const where = mapping[Math.min(at, output.length)];
    if (!grouped.has(where)) grouped.set(where, []);
    grouped.get(where).push(number);
  }
  let out = "";
  let position = 0;
  for (const [at, numbers] of [...grouped.entries()].sort((a, b) => a[0] - b[0])) {
    out += text.slice(position, at);
    const gapBefore = at === 0 || isSpace(charBefore(text, at)) ? "" : " ";
    const next = charAt(text, at);
    const gapAfter = at >= text.length || isSpace(next) || !isAlnum(next) ? "" : " ";
    out += gapBefore + numbers.map(placeholder).join(" ") + gapAfter;
    position = at;
  }
  return out + text.slice(position);
}
