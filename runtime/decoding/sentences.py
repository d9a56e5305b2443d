"""Rule-based sentence splitting, so a line holding several sentences translates sentence by
sentence (the models are trained on single sentences) and comes back as one line.

`split_sentences(text, language)` returns the sentences and the separators between them, so
that joining translations with the same separators keeps the line's layout. A sentence ends at
., !, ?, … or a run of them (with closing quotes or brackets after it), followed by whitespace and
then something that can start a sentence: an upper-case letter, a digit, an opening quote or
bracket, ¿ or ¡. A full stop does not end a sentence after a known abbreviation of the language
("Mr.", "z.B.", "M."), after a single letter (initials: "J. R. R. Tolkien") or in a number
("3.5", "No. 5" read as one). No dependency, no model: fast to import, linear in the text.
"""

from __future__ import annotations

import re

_ENDERS = ".!?…"
_CLOSERS = "\"'»”’)]}"
_STARTERS = "\"'«“‘([{¿¡"

# Abbreviations that end in a full stop but rarely end a sentence, compared without the stop,
# case-insensitively. Titles and Latin abbreviations are shared; each language adds its own.
_COMMON = {"dr", "prof", "st", "etc", "vs", "cf", "ca", "no", "nr", "vol", "fig", "approx", "e.g", "i.e"}
ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": frozenset(_COMMON | {"mr", "mrs", "ms", "jr", "sr", "inc", "ltd", "co", "corp", "mt", "ft", "gen", "col",
                               "lt", "sgt", "capt", "gov", "sen", "rep", "rev", "jan", "feb", "mar", "apr", "jun",
                               "jul", "aug", "sep", "sept", "oct", "nov", "dec", "a.m", "p.m", "u.s", "u.k"}),
    "fr": frozenset(_COMMON | {"m", "mm", "mme", "mmes", "mlle", "mlles", "me", "mgr", "av", "bd", "env", "p", "pp",
                               "p.ex", "c.-à-d", "janv", "févr", "avr", "juil", "sept", "oct", "nov", "déc"}),
    "de": frozenset(_COMMON | {"hr", "fr", "frl", "z.b", "bzw", "usw", "u.a", "d.h", "evtl", "ggf", "inkl", "jh",
                               "str", "tel", "abs", "bspw", "s", "o.ä", "v.a", "jan", "feb", "märz", "apr", "aug",
                               "sept", "okt", "nov", "dez"}),
}

# A candidate end: enders (and closers), then whitespace; the start of the next sentence is
# checked separately. A match may begin only where a run of enders begins: tried inside a long
# run ("!?!?..." without a space), every position would rescan the rest of it (quadratic).
_BOUNDARY = re.compile(f"(?<![{re.escape(_ENDERS)}])[{re.escape(_ENDERS)}]+[{re.escape(_CLOSERS)}]*(\\s+)")


def _starts_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in _STARTERS


def _abbreviated(text: str, start: int, stop: int, language: str) -> bool:
    """Is the full stop at `text[stop]` an abbreviation's? The word before it is found by walking
    back from the stop (never past `start`): each word is walked once, so the split stays linear
    however many abbreviations a sentence holds ("Mr. Mr. Mr. ...")."""
    begin = stop
    while begin > start and not text[begin - 1].isspace():
        begin -= 1
    if begin == stop:
        return False
    word = text[begin:stop].lstrip(_STARTERS).lower()
    if len(word) == 1 and word.isalpha():
        return True  # an initial
    known = ABBREVIATIONS.get(language, ABBREVIATIONS["en"])
    return word in known


def split_sentences(text: str, language: str | None = None) -> tuple[list[str], list[str]]:
    """-> (sentences, separators): text == s[0] + sep[0] + s[1] + ... + sep[-1], with one more
    separator than sentences (the first holds leading whitespace). A text without a boundary
    is one sentence."""
    language = (language or "en").lower()[:2]
    sentences: list[str] = []
    separators: list[str] = []
    stripped = text.lstrip()
    start = len(text) - len(stripped)
    separators.append(text[:start])
    for match in _BOUNDARY.finditer(text, start):
        end = match.start(1)  # the sentence keeps its punctuation; the whitespace separates
        following = match.end(1)
        if following >= len(text) or not _starts_sentence(text[following]):
            continue
        if text[match.start()] == "." and match.end(0) - match.start() - len(match.group(1)) == 1:
            if _abbreviated(text, start, match.start(), language):
                continue
        sentences.append(text[start:end])
        separators.append(text[end:following])
        start = following
    rest = text[start:]
    body = rest.rstrip()
    if body or not sentences:
        sentences.append(body)
        separators.append(rest[len(body):])
    else:
        separators[-1] += rest
    return sentences, separators


def join_sentences(translations: list[str], separators: list[str]) -> str:
    """The inverse of `split_sentences` for the translated sentences."""
    parts = [separators[0]]
    for translation, separator in zip(translations, separators[1:]):
        parts += [translation, separator]
    return "".join(parts)
