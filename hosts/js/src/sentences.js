// Rule-based sentence splitting, the same rules as the Python runtime (runtime/decoding/sentences.py):
// a sentence ends at . ! ? … (a run of them, closing quotes or brackets after), then whitespace,
// then something that starts a sentence; not after a known abbreviation, a single letter, or in a number.
import { ABBREVIATIONS } from "./contract.js";

const ENDERS = ".!?…";
const CLOSERS = "\"'»”’)]}";
const STARTERS = "\"'«“‘([{¿¡";
// The Python runtime's table, from the generated contract.
export { ABBREVIATIONS };
// Python's whitespace (str.isspace), which JavaScript's \s does not match exactly (U+0085, U+001C-U+001F).
const WS = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const escape = (s) => s.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, "\\$&");
// A match begins only where a run of enders begins: tried inside a long run, every position
// would rescan the rest of it (quadratic).
const BOUNDARY = new RegExp(`(?<![${escape(ENDERS)}])[${escape(ENDERS)}]+[${escape(CLOSERS)}]*([${WS}]+)`, "gu");
const SPACE = new RegExp(`^[${WS}]$`, "u");
const LEADING = new RegExp(`^[${WS}]+`, "u");

/** `text` without trailing whitespace, walking back (a `[ws]+$` regex is quadratic on long runs). */
function trimEnd(text) {
  let end = text.length;
  while (end > 0 && SPACE.test(text[end - 1])) end -= 1;
  return text.slice(0, end);
}

function startsSentence(char) {
  return (char.toUpperCase() === char && char.toLowerCase() !== char) || /\p{Nd}/u.test(char) || STARTERS.includes(char);
}

/** Is the full stop at text[stop] an abbreviation's? The word before it is found by walking back
 * (never past `start`): each word is walked once, so the split stays linear. */
function abbreviated(text, start, stop, language) {
  let begin = stop;
  while (begin > start && !SPACE.test(text[begin - 1])) begin -= 1;
  if (begin === stop) return false;
  let word = text.slice(begin, stop);
  while (word && STARTERS.includes(word[0])) word = word.slice(1);
  word = word.toLowerCase();
  if ([...word].length === 1 && /\p{L}/u.test(word)) return true;
  return (ABBREVIATIONS[language] ?? ABBREVIATIONS.en).includes(word);
}

/** -> [sentences, separators], as split_sentences in Python. */
export function splitSentences(text, language = "en") {
  language = (language || "en").toLowerCase().slice(0, 2);
  const sentences = [];
  const separators = [];
  const stripped = text.replace(LEADING, "");
  let start = text.length - stripped.length;
  separators.push(text.slice(0, start));
  BOUNDARY.lastIndex = start;
  let match;
  while ((match = BOUNDARY.exec(text)) !== null) {
    const end = match.index + match[0].length - match[1].length;
    const following = match.index + match[0].length;
    if (following >= text.length || !startsSentence(String.fromCodePoint(text.codePointAt(following)))) continue;
    if (text[match.index] === "." && match[0].length - match[1].length === 1
        && abbreviated(text, start, match.index, language)) continue;
    sentences.push(text.slice(start, end));
    separators.push(text.slice(end, following));
    start = following;
  }
  const rest = text.slice(start);
  const body = trimEnd(rest);
  if (body || !sentences.length) {
    sentences.push(body);
    separators.push(rest.slice(body.length));
  } else separators[separators.length - 1] += rest;
  return [sentences, separators];
}
