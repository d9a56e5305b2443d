"""Real documents (tests/runtime/documents/data/) translated by the shipped English->French model, their
structure checked on both sides: a web page with nested inline markup, a README with code, a
50-cue subtitle file and a PO catalogue with plurals."""

from __future__ import annotations

from pathlib import Path

import pytest

from s2s.runtime import Translator
from s2s.runtime.documents import translate_document
from s2s.runtime.bundle.store import default_bundle_path

HERE = Path(__file__).parent / "data"
pytestmark = pytest.mark.skipif(not (default_bundle_path() / "model.json").is_file(), reason="no shipped model")


@pytest.fixture(scope="module")
def translator():
    return Translator.load()


def test_a_web_page(translator):
    bs4 = pytest.importorskip("bs4")
    source = (HERE / "page.html").read_text(encoding="utf-8")
    result = translate_document(translator, HERE / "page.html")
    before, after = bs4.BeautifulSoup(source, "html.parser"), bs4.BeautifulSoup(result.data, "html.parser")
    assert after.html["lang"] == "fr" and after.title.string != before.title.string
    for name in ("script", "style", "pre", "code"):
        assert [str(t) for t in after.find_all(name)] == [str(t) for t in before.find_all(name)]
    assert str(after.find(attrs={"translate": "no"})) == str(before.find(attrs={"translate": "no"}))
    assert after.img["alt"] != before.img["alt"] and after.img["src"] == before.img["src"]
    assert [a["href"] for a in after.find_all("a")] == [a["href"] for a in before.find_all("a")] or result.markup_dropped
    text = " ".join(p.get_text() for p in after.find_all("p"))  # the translated paragraphs only
    for kept in ("9:30", "$12", "tours@example.com", "npm install", "Museo Civico"):
        assert kept in text, kept


def test_a_word_inside_inline_tags_comes_through_inside_them(translator):
    # Markers glued to a word once made the model read "<b>Tom</b>" as an unknown word, cut into
    # letters, and drop it: the page said "As-tu vu <b> </b> récemment ?".
    result = translate_document(translator, b"<p>Have you seen <b>Tom</b> recently?</p>", format="html")
    assert b"<b>Tom</b>" in result.data and result.markup_dropped == 0, result.data


def test_a_readme(translator):
    pytest.importorskip("markdown_it")
    source = (HERE / "README.md").read_text(encoding="utf-8")
    out = translate_document(translator, HERE / "README.md").data.decode()
    before, after = source.splitlines(), out.splitlines()
    assert len(after) == len(before)
    for a, b in zip(after, before):
        if b.startswith(("```", "pip install", "|---")) or not b.strip():
            assert a == b
        for prefix in ("# ", "## ", "- ", "> ", "| "):
            if b.startswith(prefix):
                assert a.startswith(prefix)
    for kept in ("`weather-station --every 60`", "`~/weather.csv`", "(https://example.com/manual)", "`--every`"):
        assert kept in out, kept



def test_a_paragraph_written_one_sentence_a_line_keeps_one_sentence_a_line(translator):
    source = "The museum opens at nine.\nThe garden stays open until sunset.\nTickets cost twelve dollars.\n"
    lines = translate_document(translator, source.encode(), format="markdown").data.decode().splitlines()
    assert lines == translator.translate(source.splitlines())



def test_styled_cues_keep_their_styling_balanced_in_every_cue(translator):
    import re

    srt = pytest.importorskip("srt")
    source = ("1\n00:00:01,000 --> 00:00:03,000\n<i>Where are you going?</i>\n\n"
              "2\n00:00:03,500 --> 00:00:05,000\n{\\an8}I am going <b>home</b>.\n\n"
              "3\n00:00:05,500 --> 00:00:07,000\n<i>I have been waiting for you</i>\n\n"
              "4\n00:00:07,500 --> 00:00:09,000\n<i>since this morning.</i>\n")
    cues = list(srt.parse(translate_document(translator, source.encode(), format="srt").data.decode()))
    assert cues[0].content == f"<i>{translator.translate(['Where are you going?'])[0]}</i>"  # the cue's own translation
    assert cues[1].content.startswith("{\\an8}") and "<b>" in cues[1].content
    for cue in cues:  # each cue opens and closes its own tags, in order
        tags = re.findall(r"<(/?)([ib])>", cue.content)
        depth = 0
        for closing, _ in tags:
            depth += -1 if closing else 1
            assert depth >= 0, cue.content
        assert depth == 0, cue.content


def test_fifty_cues(translator):
    srt = pytest.importorskip("srt")
    source = (HERE / "film.srt").read_text(encoding="utf-8")
    before = list(srt.parse(source))
    after = list(srt.parse(translate_document(translator, HERE / "film.srt").data.decode()))
    assert len(before) == 50
    assert [(c.index, c.start, c.end) for c in after] == [(c.index, c.start, c.end) for c in before]
    assert sum(c.content != b.content for c, b in zip(after, before)) >= 45


def test_a_po_catalogue_with_plurals(translator):
    polib = pytest.importorskip("polib")
    before = polib.pofile(str(HERE / "app.po"))
    after = polib.pofile(translate_document(translator, HERE / "app.po").data.decode())
    assert [e.msgid for e in after] == [e.msgid for e in before] and after.metadata == before.metadata
    for old, new in zip(before, after):
        if old.translated():
            assert new.msgstr == old.msgstr and "fuzzy" not in new.flags
            continue
        assert "fuzzy" in new.flags and set(old.flags) <= set(new.flags)
        for translated in ([new.msgstr] if not new.msgid_plural else list(new.msgstr_plural.values())):
            assert translated
        if "%d" in old.msgid:
            assert "%d" in new.msgstr
        if "{path}" in old.msgid:
            assert "{path}" in new.msgstr
