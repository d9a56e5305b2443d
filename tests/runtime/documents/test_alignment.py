"""Paired inline markup put back by the attention alignment (documents/alignment.py)."""

from __future__ import annotations

import pytest

from s2s.runtime import Translator
from s2s.runtime.bundle.store import default_bundle_path
from s2s.runtime.documents import translate_document
from s2s.runtime.documents.alignment import _prepare, _spans, _split_sentences, _whole_words, can_align
from s2s.runtime.documents.markers import marker

B, SLASH_B, I, SLASH_I, IMG = (marker(n) for n in range(5))
shipped = pytest.mark.skipif(not (default_bundle_path() / "model.json").is_file(), reason="no shipped model")


def test_tokens_are_found_in_order_and_a_token_not_written_so_has_no_place():
    text = "Appelle Olga à 06 12 34 56 78."
    assert _spans(["Appelle", "Olga", "à", "06 12 34 56 78", "."], text) == [
        (0, 7), (8, 12), (13, 14), (15, 29), (29, 30)]
    # "à" is not in this text where it should be: no place, and the tokens after it still find theirs.
    assert _spans(["Appelle", "", "à", "."], "Appelle Olga.") == [(0, 7), None, None, (12, 13)]


def test_a_word_cut_into_subwords_is_wrapped_whole_but_not_its_punctuation():
    tokens, surfaces = ["\u2581l", "'", "enf", "ants", ","], ["l", "'", "enf", "ants", ","]
    assert _whole_words(3, 3, tokens, surfaces) == (2, 3)  # "ants" -> "enfants"
    assert _whole_words(2, 2, tokens, surfaces) == (2, 3)
    assert _whole_words(0, 0, tokens, surfaces) == (0, 0)  # "l" stops at the apostrophe


def test_pairs_leave_the_text_and_the_other_markers_stand_apart():
    segment = f"See {B}Tom{SLASH_B}{IMG} and {I} {SLASH_I}now."
    prepared = _prepare(segment, {B: SLASH_B, I: SLASH_I}, "en", split=True)
    # The image stays (carried by the model), the empty pair stays as markers, <b> leaves.
    assert prepared.text == f"See Tom {IMG} and {I} {SLASH_I} now."
    [(opening, closing, start, end)] = prepared.pairs
    assert (opening, closing) == (B, SLASH_B) and prepared.text[start:end] == "Tom"


def test_several_sentences_are_located_in_the_text():
    prepared = _prepare(f"{B}Tom is here. Mary is there.{SLASH_B}", {B: SLASH_B}, "en", split=True)
    assert prepared.sentences == ["Tom is here.", "Mary is there."]
    assert [prepared.text[s : s + len(p)] for s, p in zip(prepared.starts, prepared.sentences)] == prepared.sentences
    assert prepared.text[prepared.pairs[0][2] : prepared.pairs[0][3]] == "Tom is here. Mary is there."



def test_a_marker_between_sentences_stands_between_them():
    # A line break after "open." must not hide the boundary, nor start the next sentence.
    parts, separators = _split_sentences(f"The garden is open. {IMG} It closes. Bye.", "en")
    assert parts == ["The garden is open.", "It closes.", "Bye."] and separators[1] == f" {IMG} "
    # Glued to a sentence's end, it leaves that sentence for the space after it.
    prepared = _prepare(f"The garden is open.{IMG}It closes.", {}, "en", split=True)
    assert prepared.sentences == ["The garden is open.", "It closes."]
    assert prepared.separators == ["", f" {IMG} ", ""]


@shipped
def test_the_shipped_model_puts_pairs_around_the_right_words():
    translator = Translator.load()
    assert can_align(translator)

    def page(body: str) -> str:
        result = translate_document(translator, f"<p>{body}</p>".encode(), format="html")
        assert result.markup_dropped == 0, result.data
        return result.data.decode()

    assert "<b><i>Tom</i></b>" in page("Have you seen <b><i>Tom</i></b> recently?")
    both = page("<b>Tom is here. Mary is there.</b>")
    assert both.startswith("<p><b>Tom") and both.endswith(".</b></p>")
    linked = page('Call <a href="tel:5550100">Olga</a> now. <img src="x.png"> This is <em>my</em> dog.')
    assert '<a href="tel:5550100">Olga</a>' in linked and '<img src="x.png"/>' in linked and "<em>mon</em>" in linked
    after_break = page("The garden is open.<br>It closes at sunset.").split("<br/>")[1]
    assert after_break == translator.translate(["It closes at sunset."])[0] + "</p>"
    # The words move, and the tags with them.
    assert page("The <b>red</b> car is <i>very</i> fast.") == "<p>La voiture <b>rouge</b> est <i>très</i> rapide.</p>"


@shipped
def test_markdown_links_and_emphasis_go_around_their_words():
    import re

    source = b"Read [the manual](https://example.com/manual) before you **call us**.\n"
    result = translate_document(Translator.load(), source, format="markdown")
    out = result.data.decode()
    # The link and the emphasis around the words aligned with theirs, the target as it was.
    link, bold = re.search(r"\[([^\]]+)\]\(https://example\.com/manual\)", out), re.search(r"\*\*([^*]+)\*\*", out)
    assert result.markup_dropped == 0 and link and bold, out
    assert "manuel" in link.group(1) and "appel" in bold.group(1), out


def test_pairs_that_hold_a_whole_block_go_around_its_whole_translation(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    page = b'<ul><li><a href="/">one two three .</a></li><li> <b><i>four five .</i></b> </li></ul>'
    result = translate_document(translator, page, format="html")
    first, second = translator.translate(["one two three .", "four five ."])
    assert result.data.decode() == (f'<ul><li><a href="/">{first}</a></li><li> <b><i>{second}</i></b> </li></ul>')


def test_a_model_without_attention_carries_the_pairs(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "none"))
    assert not can_align(translator)
    result = translate_document(translator, b"<p>one <b>two</b> three.</p>", format="html")
    assert result.data.count(b"<b>") == result.data.count(b"</b>") <= 1


def test_range_hull_is_the_brute_force_minimum_and_maximum():
    """The pairs' hulls come from range queries (linear in the pairs, where a scan of every token
    for every pair took 96 s on a 350 KB Markdown file)."""
    import random

    from s2s.runtime.documents.alignment import _RangeHull

    rng = random.Random(5)
    for size in (1, 2, 3, 4, 5, 8, 13, 64):
        spans = {i: (rng.randrange(100), rng.randrange(100, 200)) for i in range(size) if rng.random() < 0.7}
        hull = _RangeHull(size)
        for index, span in spans.items():
            hull.add(index, span)
        hull.build()
        for first in range(size):
            for last in range(first, size):
                inside = [spans[i] for i in range(first, last + 1) if i in spans]
                expected = (min(s for s, _ in inside), max(e for _, e in inside)) if inside else None
                assert hull.query(first, last) == expected, (size, first, last)
