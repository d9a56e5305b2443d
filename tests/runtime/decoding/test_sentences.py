"""Sentence splitting: real multi-sentence lines in, one line out."""

import pytest
from click.testing import CliRunner

from s2s.runtime import Translator
from s2s.runtime.cli.translate import main
from s2s.runtime.decoding.sentences import join_sentences, split_sentences

LINES = [
    ("en", "I'm late. My sister lives in Paris with her two children. Call me!",
     ["I'm late.", "My sister lives in Paris with her two children.", "Call me!"]),
    ("en", "Mr. Smith met Dr. Jones at 5.30 p.m. yesterday. They talked.",
     ["Mr. Smith met Dr. Jones at 5.30 p.m. yesterday.", "They talked."]),
    ("en", "J. R. R. Tolkien wrote it in 1937. It sold well.", ["J. R. R. Tolkien wrote it in 1937.", "It sold well."]),
    ("en", 'He shouted "Stop!" Nobody did. "Why?" she asked.',
     ['He shouted "Stop!"', "Nobody did.", '"Why?" she asked.']),
    ("en", "Wait... what happened? I don't know.", ["Wait... what happened?", "I don't know."]),
    ("en", "No. 5 is the best. Really.", ["No. 5 is the best.", "Really."]),
    ("fr", "Tu viens ? Oui ! M. Dupont arrive demain.", ["Tu viens ?", "Oui !", "M. Dupont arrive demain."]),
    ("de", "Das ist z.B. ein Satz. Und noch einer.", ["Das ist z.B. ein Satz.", "Und noch einer."]),
    ("en", "one sentence without a full stop", ["one sentence without a full stop"]),
]


@pytest.mark.parametrize("language,line,expected", LINES)
def test_split_keeps_every_character(language, line, expected):
    parts, separators = split_sentences(line, language)
    assert parts == expected
    assert join_sentences(parts, separators) == line


def test_a_line_of_sentences_translates_to_one_line(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "luong", quantize="int8"))
    line = "One two.  Three four! Five."
    alone = translator.translate(["One two.", "Three four!", "Five."], split_sentences=False)
    assert translator.translate([line]) == [f"{alone[0]}  {alone[1]} {alone[2]}"]
    detailed = translator.translate_results([line], attention=True)[0].hypotheses[0]
    singles = [r.hypotheses[0] for r in translator.translate_results(["One two.", "Three four!", "Five."],
                                                              split_sentences=False, attention=True)]
    assert detailed.tokens == [t for s in singles for t in s.tokens]
    # One row per target token (and the last sentence's <eos>), one column per source token.
    assert detailed.attention.shape == (sum(len(s.tokens) for s in singles[:-1]) + singles[-1].attention.shape[0],
                                        sum(s.attention.shape[1] for s in singles))
    assert translator.translate([line], split_sentences=False) != translator.translate([line])
    result = CliRunner().invoke(main, ["-m", str(translator.bundle.origin), line])
    assert result.stdout.splitlines() == translator.translate([line])
    result = CliRunner().invoke(main, ["-m", str(translator.bundle.origin), "--no-split-sentences", line])
    assert result.stdout.splitlines() == translator.translate([line], split_sentences=False)


def _seconds(text: str) -> float:
    import time

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        split_sentences(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("unit", ["Mr. ", ".", "!?", "a. "])
def test_splitting_stays_linear_on_hostile_lines(unit):
    """4x the text may cost about 4x the time, never 16x (these took 28 s for 64 KB when the split
    rescanned the text before each boundary)."""
    small, large = unit * (4000 // len(unit)), unit * (16000 // len(unit))
    assert _seconds(large) < 8 * _seconds(small) + 0.05
