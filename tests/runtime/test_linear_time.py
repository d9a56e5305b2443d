"""Time linear in the input on every text surface: each is timed on a hostile input of two sizes,
and ten times the input must not take more than fifteen times as long (a quadratic step takes a
hundred times). Protection's rules, the sentence splitter, glossary matching, and each document
format's extract and rebuild; the JavaScript host's protection has its own (hosts/js/test)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pytest

from s2s.runtime.decoding.protection import Protector, Terms
from s2s.runtime.decoding.sentences import split_sentences
from s2s.runtime.documents import _load

SMALL = 2_000
# Documents go through their parsing libraries, whose first few thousand nodes fit the CPU's caches:
# measured from a size past that.
DOCUMENT_SMALL = 20_000
# Timer noise on a run of a few milliseconds: a floor under the smaller size's time.
FLOOR_SECONDS = 0.005


def _best_of_three(work: Callable[[], object]) -> float:
    """The fastest of three runs, with the cyclic garbage collector off (as timeit does): its
    passes grow with every object alive, which is the collector's cost, not the code's."""
    best = float("inf")
    collecting = gc.isenabled()
    gc.disable()
    try:
        for _ in range(3):
            started = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - started)
    finally:
        if collecting:
            gc.enable()
    return best


def assert_linear(run: Callable[[int], object], small: int = SMALL) -> None:
    run(small)  # warm: imports, caches
    short, long = _best_of_three(lambda: run(small)), _best_of_three(lambda: run(10 * small))
    assert long <= 15 * max(short, FLOOR_SECONDS), f"x10 input took x{long / max(short, 1e-9):.0f} ({short:.4f}s -> {long:.4f}s)"


HOSTILE_WORDS = {
    "letters": "a", "dots": ".", "hyphenated": "a-", "dotted": "a.", "drive paths": "a:\\", "digits": "1.",
    "at signs": "a@", "slashes": "a/", "scheme-like": "a+", "hash": "#", "mixed": "a1-",
}


@pytest.mark.parametrize("unit", HOSTILE_WORDS.values(), ids=HOSTILE_WORDS.keys())
def test_protection_rules_on_one_long_unbroken_word(unit):
    protector = Protector(lambda word: True)
    assert_linear(lambda n: protector.protect(unit * (n * 4 // len(unit))))


def test_glossary_matching_on_long_lines_and_words():
    protector = Protector(lambda word: True, Terms.of({"New York City": "NYC", "a a b": "x"}, ["a-a"]))
    assert_linear(lambda n: protector.protect("a " * (n * 2)))
    assert_linear(lambda n: protector.protect("a" * (n * 4)))
    assert_linear(lambda n: protector.protect("new york " * n))


@pytest.mark.parametrize("text", ["a. " , "Mr. ", "...", "a", "\u3002", "! ? "])
def test_sentence_splitting(text):
    assert_linear(lambda n: split_sentences(text * (n * 2), "en"))


def _document(name: str, make: Callable[[int], str | bytes]) -> Callable[[int], object]:
    document_format = _load(name)

    def run(n: int) -> bytes:
        document = make(n)
        extracted = document_format.extract(document if isinstance(document, bytes) else document.encode("utf-8"))
        return extracted.rebuild(list(extracted.segments))

    return run


XLIFF = ('<?xml version="1.0"?><xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">'
         '<file source-language="en" datatype="plaintext" original="x"><body>{}</body></file></xliff>')
DOCUMENTS = {
    "markdown table rows": ("markdown", lambda n: "| a | b |\n|---|---|\n" + "| cell word | 2.5 |\n" * (n // 4)),
    "markdown unclosed <a": ("markdown", lambda n: "Text " + "<a " * n + "\n"),
    "markdown emphasis pairs": ("markdown", lambda n: "Some " + "*a* " * n + "\n"),
    "markdown links": ("markdown", lambda n: "See " + "[a](b) " * n + "\n"),
    "srt leading unclosed tags": ("srt", lambda n: "1\n00:00:01,000 --> 00:00:02,000\n" + "<i>" * n + "Hello\n\n"),
    "srt many cues": ("srt", lambda n: "".join(f"{i + 1}\n00:00:01,000 --> 00:00:02,000\n<i>Hi</i> there.\n\n"
                                               for i in range(n // 8))),
    "vtt leading tags": ("vtt", lambda n: "WEBVTT\n\n00:01.000 --> 00:02.000\n" + "<v A>" * n + "Hello\n"),
    "html inline tags": ("html", lambda n: "<p>" + "<b>x</b> " * (n // 8) + "</p>"),
    "html paragraphs": ("html", lambda n: "<p>Some <b>bold</b> text.</p>\n" * (n // 16)),
    "html long attribute": ("html", lambda n: '<p title="' + "a" * (n * 4) + '">Hi</p>'),
    "po long entry": ("po", lambda n: 'msgid "' + "word " * n + '"\nmsgstr ""\n'),
    "json many keys": ("json", lambda n: "{" + ",".join(f'"k{i}": "Hello {{a}} there"' for i in range(n // 4)) + "}"),
    "xliff inline codes": ("xliff", lambda n: XLIFF.format(
        '<trans-unit id="1"><source>' + '<g id="1">a word</g> and some more text ' * (n // 32) + "</source></trans-unit>")),
    "xliff units": ("xliff", lambda n: XLIFF.format("".join(
        f'<trans-unit id="{i}"><source>Save <g id="1">the</g> file.</source></trans-unit>' for i in range(n // 32)))),
}


@pytest.mark.slow
@pytest.mark.parametrize("name, make", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_document_extract_and_rebuild(name, make):
    pytest.importorskip("markdown_it")
    assert_linear(_document(name, make), DOCUMENT_SMALL)


@pytest.mark.slow
def test_docx_extract_and_rebuild(make_docx):
    pytest.importorskip("lxml")
    paragraph = ('<w:p><w:r><w:t xml:space="preserve">Some </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>bold</w:t>'
                 '</w:r><w:r><w:t xml:space="preserve"> text.</w:t></w:r></w:p>')
    assert_linear(_document("docx", lambda n: make_docx(paragraph * (n // 16))), DOCUMENT_SMALL)
