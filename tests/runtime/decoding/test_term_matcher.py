"""Glossary and keep terms: whole words in any case and any Unicode form, looked up, never a
regular expression of alternatives."""

from __future__ import annotations

import time

from s2s.runtime.decoding.protection import Protector, Terms
from s2s.runtime.decoding.term_matcher import TermMatcher, fold


def _glossary(sentence: str, glossary: dict[str, str]) -> list[tuple[str, str]]:
    protected = Protector(lambda word: True, Terms.of(glossary=glossary)).protect(sentence)
    return [(item.source, item.output) for item in protected.items]


def test_case_variants_that_fold_alike_match_and_find_their_entry():
    # Each raised KeyError: the pattern ignored case, the look-up used str.lower().
    assert _glossary("We flew to istanbul yesterday.", {"İstanbul": "Istanbul"}) == [("istanbul", "Istanbul")]
    assert _glossary("Please ſtop here.", {"stop": "arrêt"}) == [("ſtop", "arrêt")]
    assert _glossary("Send the ınvoice.", {"invoice": "facture"}) == [("ınvoice", "facture")]
    assert _glossary("Ein Maß Bier.", {"MASS": "mesure"}) == [("Maß", "mesure")]
    assert _glossary("λόγος", {"ΛΌΓΟΣ": "logos"}) == [("λόγος", "logos")]


def test_a_decomposed_accent_matches_the_accented_term_and_is_kept_whole():
    sentence = "A cafe\u0301 and a cafe."
    assert _glossary(sentence, {"café": "bistro", "cafe": "coffee"}) == [("cafe\u0301", "bistro"), ("cafe", "coffee")]
    matches = TermMatcher([("café", "bistro")]).find(sentence)
    assert [sentence[start:end] for start, end, _ in matches] == ["cafe\u0301"]  # the accent goes with the word


def test_whole_words_longest_first_and_terms_with_punctuation():
    matcher = TermMatcher([("New York", "A"), ("New York City", "B"), ("C++", "C"), ("e-mail", "D"), ("cat", "E")])
    text = "New York City and new york, C++ or e-mail; cats and a cat."
    assert [(text[s:e], out) for s, e, out in matcher.find(text)] == [
        ("New York City", "B"), ("new york", "A"), ("C++", "C"), ("e-mail", "D"), ("cat", "E")]
    assert TermMatcher([("New York", "A")]).find("New  York") == []
    assert TermMatcher([("York", "A")]).find("NewYork") == []


def test_the_fold_is_the_full_case_mapping():
    assert [fold(c) for c in ("ſ", "S", "ß", "ς", "Σ", "İ", "ı", "I")] == ["s", "s", "ss", "σ", "σ", "i", "i", "i"]


def _seconds(work) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def test_a_glossary_of_100000_entries_builds_and_matches_in_time_linear_in_it():
    def build(count: int) -> TermMatcher:
        return TermMatcher((f"term{n} word{n % 97} end", f"T{n}") for n in range(count))

    small, large = _seconds(lambda: build(10_000)), _seconds(lambda: build(100_000))
    assert large < 15 * small, (small, large)
    matcher = build(100_000)
    line = "We saw term99999 word89 end and term5 word5 end here. " * 20
    assert len(matcher.find(line)) == 40
    # A line's matching cost does not grow with the glossary (the regex took +17 ms a line at 100k).
    few = build(100)
    assert _seconds(lambda: matcher.find(line)) < 5 * _seconds(lambda: few.find(line)) + 0.01
