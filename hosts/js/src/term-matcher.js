// Finding a user's glossary and keep terms, as the Python runtime does (runtime/decoding/term_matcher.py):
// whole words, any case and any Unicode form, looked up in a Map (never a RegExp of alternatives,
// whose cost grows with the glossary at every position). Terms and sentence are folded alike,
// cluster by cluster (a character and its combining marks, NFC, upper- then lower-cased, Turkish
// dotted and dotless i as i); a match maps back to the sentence's own characters.
const MARK = /^\p{M}$/u;
const WORD = /^[\p{L}\p{N}_]$/u; // Python's \w
const ASCII = /^[\x00-\x7f]*$/;
const foldCache = new Map();

/** A cluster's folded form, as Python's `fold`. */
export function fold(cluster) {
  let folded = foldCache.get(cluster);
  if (folded === undefined) {
    folded = cluster.normalize("NFC").toUpperCase().toLowerCase().replaceAll("i\u0307", "i").replaceAll("\u0131", "i");
    if (foldCache.size < 4096) foldCache.set(cluster, folded);
  }
  return folded;
}

const codePoints = (text) => [...text].length;
// [0-9a-z_] of a lower-cased ASCII character: Python's \w there.
const asciiWord = (code) => (code >= 48 && code <= 57) || (code >= 97 && code <= 122) || code === 95;

/** {starts, ends (UTF-16 offsets), folded, lengths (code points of each folded cluster), word}. */
function clusters(text) {
  const out = { starts: [], ends: [], folded: [], lengths: [], word: [] };
  if (ASCII.test(text)) {
    // The common case, without a regular expression per character.
    const lower = text.toLowerCase();
    const count = text.length;
    out.starts = Array.from({ length: count }, (_, i) => i);
    out.ends = Array.from({ length: count }, (_, i) => i + 1);
    out.folded = lower.split("");
    out.lengths = new Array(count).fill(1);
    out.word = Array.from({ length: count }, (_, i) => asciiWord(lower.charCodeAt(i)));
    return out;
  }
  let start = 0;
  while (start < text.length) {
    const first = String.fromCodePoint(text.codePointAt(start));
    let end = start + first.length;
    while (end < text.length) {
      const next = String.fromCodePoint(text.codePointAt(end));
      if (!MARK.test(next)) break;
      end += next.length;
    }
    const folded = fold(text.slice(start, end));
    out.starts.push(start);
    out.ends.push(end);
    out.folded.push(folded);
    out.lengths.push(codePoints(folded));
    out.word.push(WORD.test(first));
    start = end;
  }
  return out;
}

export class TermMatcher {
  /** @param {Iterable<[string, string|null]>} terms  term -> what a match stands for (null: its own text) */
  constructor(terms) {
    this.terms = new Map();
    this.prefixes = new Set();
    this.first = new Set();
    this.longest = 0;
    for (const [term, output] of terms) {
      const parts = clusters(term);
      const key = parts.folded.join("");
      if (!key) continue;
      this.terms.set(key, output);
      this.first.add(String.fromCodePoint(key.codePointAt(0)));
      this.longest = Math.max(this.longest, codePoints(key));
      for (let index = 1; index < parts.starts.length; index += 1) {
        if (!parts.word[index]) this.prefixes.add(parts.folded.slice(0, index).join(""));
      }
    }
  }

  /** [start, end, output] (UTF-16 offsets) of every match, leftmost first, longest at each place. */
  find(text) {
    const parts = clusters(text);
    const found = [];
    let index = 0;
    while (index < parts.starts.length) {
      const match = this.mayStart(parts, index) ? this.longestAt(parts, index) : null;
      if (match === null) {
        index += 1;
        continue;
      }
      const [last, output] = match;
      found.push([parts.starts[index], parts.ends[last], output]);
      index = last + 1;
    }
    return found;
  }

  mayStart(parts, index) {
    const folded = parts.folded[index];
    return (index === 0 || !parts.word[index - 1]) && folded !== "" && this.first.has(String.fromCodePoint(folded.codePointAt(0)));
  }

  longestAt(parts, index) {
    let best = null;
    let read = "";
    let length = 0;
    const count = parts.starts.length;
    for (let last = index; last < count; last += 1) {
      read += parts.folded[last];
      length += parts.lengths[last];
      if (length > this.longest) break;
      // Only where a word ends may a term end, or a multi-word term go on.
      if (last + 1 < count && parts.word[last + 1]) continue;
      if (this.terms.has(read)) best = [last, this.terms.get(read)];
      if (!this.prefixes.has(read)) break;
    }
    return best;
  }
}
