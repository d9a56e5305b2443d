"""Documents in, documents out: each format's structure comes back the same (parsed on both
sides), malformed files are one line and exit 2, the format comes from the suffix or
--input-format."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from s2s.runtime import Translator
from s2s.runtime.cli.translate import main
from s2s.runtime.documents import DocumentError, translate_document
from s2s.runtime.documents.subtitles import split_proportionally

polib = pytest.importorskip("polib")
srt = pytest.importorskip("srt")

PO = """# A catalogue.
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 ? 0 : 1);\\n"

#: app.py:10
msgid "one two three ."
msgstr ""

#: app.py:12
#, python-format
msgid "four %(name)s five ."
msgstr ""

msgid "six ."
msgid_plural "seven %d ."
msgstr[0] ""
msgstr[1] ""
msgstr[2] ""

msgid "eight ."
msgstr "huit (déjà traduit)"

#~ msgid "old"
#~ msgstr "vieux"
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
one two three

2
00:00:03,200 --> 00:00:05,000
four five.

3
00:00:06,000 --> 00:00:08,500
six seven
eight nine.
"""


@pytest.fixture(scope="module")
def translator(bundle_factory):
    return Translator.load(bundle_factory("gru", "bahdanau"))


def test_po_fills_what_is_untranslated_and_keeps_everything_else(translator):
    out = translate_document(translator, PO.encode(), "po")
    before, after = polib.pofile(PO), polib.pofile(out.data.decode())
    assert [e.msgid for e in after] == [e.msgid for e in before]
    assert [e.occurrences for e in after] == [e.occurrences for e in before]
    assert after.metadata == before.metadata and [e.msgid for e in after.obsolete_entries()] == ["old"]
    first, formatted, plural, done = [e for e in after if not e.obsolete]
    assert first.msgstr == translator.translate(["one two three ."])[0] and first.flags == ["fuzzy"]
    assert formatted.flags == ["fuzzy", "python-format"]
    assert formatted.msgstr.count("%(name)s") == 1  # carried, or the source kept: never lost
    assert sorted(plural.msgstr_plural) == [0, 1, 2] and plural.msgstr_plural[1] == plural.msgstr_plural[2]
    assert done.msgstr == "huit (déjà traduit)" and "fuzzy" not in done.flags
    assert out.segments == 4



@pytest.mark.parametrize("comment", ["", "# Demo catalogue.\n#, fuzzy\n"])
def test_po_header_comes_out_as_written(translator, comment):
    header = (comment + 'msgid ""\nmsgstr ""\n"Project-Id-Version: demo 1.0\\n"\n'
              '"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n')
    out = translate_document(translator, (header + '\n#: app.py:3\nmsgid "one two ."\nmsgstr ""\n').encode(), "po")
    assert out.data.decode().startswith(header + "\n#: app.py:3\n#, fuzzy\n")  # no lone "#" above it


def test_srt_keeps_numbering_and_timings_and_translates_sentences_across_cues(translator):
    out = translate_document(translator, SRT.encode(), "srt")
    before, after = list(srt.parse(SRT)), list(srt.parse(out.data.decode()))
    assert [(c.index, c.start, c.end) for c in after] == [(c.index, c.start, c.end) for c in before]
    whole = translator.translate(["one two three four five.", "six seven eight nine."])
    assert " ".join(" ".join(c.content.split()) for c in after[:2]).split() == whole[0].split()
    assert "\n" in after[2].content or len(after[2].content.split()) < 2  # a two-line cue stays two lines


def test_json_translates_values_never_keys_and_icu_choices_as_whole_sentences(translator):
    from pyicumessageformat import Parser

    source = {"a": "one two .", "b": {"c": ["three .", 4, True, None]},
              "d": "four {n, plural, one {# five} other {# six}} .", "e": "{n, plural, one {# x}"}
    out = json.loads(translate_document(translator, json.dumps(source, indent=2).encode(), "json").data)
    assert list(out) == ["a", "b", "d", "e"] and list(out["b"]) == ["c"]
    assert out["b"]["c"][1:] == [4, True, None] and out["e"] == source["e"]  # a broken message: as it was
    assert out["a"] == translator.translate(["one two ."])[0]
    [plural] = Parser().parse(out["d"])  # the words around the choice went into its branches
    assert plural["name"] == "n" and list(plural["options"]) == ["one", "other"]
    # Each sentence translated (or kept, where the translation lost its #), in its branch.
    sentences = ["four # five .", "four # six ."]
    one, other = [t if t.count("#") == 1 else s for t, s in zip(translator.translate(sentences), sentences)]
    assert out["d"] == f"{{n, plural, one {{{one}}} other {{{other}}}}}"


def test_split_proportionally_keeps_every_word_in_order():
    words = "a bb ccc dddd eeeee ffffff".split()
    for lengths in ([10, 10], [1, 30], [30, 1], [5, 5, 5], [1, 1, 1, 1, 1, 1, 1, 1]):
        parts = split_proportionally(" ".join(words), lengths)
        assert len(parts) == len(lengths) and " ".join(p for p in parts if p).split() == words


@pytest.mark.parametrize("name, content, fragment", [
    ("bad.po", b"hello world\n", "not a readable PO catalogue"),
    ("bad.srt", b"1\nnot a time\nx\n", "not a readable SubRip file"),
    ("bad.json", b'{"a": ', "not a readable JSON file"),
    ("latin1.po", 'msgid "caf\xe9"\nmsgstr ""\n'.encode("latin-1"), "not a readable PO catalogue"),
])
def test_a_malformed_document_is_one_line_and_exit_2(bundle_factory, tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["-m", str(bundle_factory("gru", "bahdanau")), "-i", str(path),
                                       "-o", str(tmp_path / ("out-" + name))])
    assert result.exit_code == 2 and fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / ("out-" + name)).exists()


def test_the_format_comes_from_the_suffix_or_the_option(bundle_factory, tmp_path):
    bundle = str(bundle_factory("gru", "bahdanau"))
    (tmp_path / "film.srt").write_text(SRT, encoding="utf-8")
    (tmp_path / "film.txt").write_text(SRT, encoding="utf-8")
    by_suffix = CliRunner().invoke(main, ["-m", bundle, "-i", str(tmp_path / "film.srt"), "-q"])
    as_text = CliRunner().invoke(main, ["-m", bundle, "-i", str(tmp_path / "film.txt"), "-q"])
    by_option = CliRunner().invoke(main, ["-m", bundle, "-i", str(tmp_path / "film.txt"), "--input-format", "srt", "-q"])
    assert by_suffix.exit_code == as_text.exit_code == by_option.exit_code == 0
    assert by_suffix.stdout == by_option.stdout != as_text.stdout
    assert "00:00:01,000 --> 00:00:03,000" in by_suffix.stdout
    refused = CliRunner().invoke(main, ["-m", bundle, "-i", str(tmp_path / "film.srt"), "--workers", "2"])
    assert refused.exit_code == 2 and "translated whole" in refused.stderr


def test_a_document_error_is_a_user_error():
    from s2s.runtime.errors import S2SRuntimeError

    assert issubclass(DocumentError, S2SRuntimeError)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>one two .</title><style>p { color: red; }</style>
<script>var x = "one two";</script></head>
<body>
<h1>three four .</h1>
<p>Kanar says <b>one</b> two . Zorro says <a href="https://example.com/a?b=1&amp;c=2">three</a> .</p>
<p>Run <code>make install</code> now .<br>five .</p>
<img src="x.png" alt="four five .">
<!-- one two -->
<p translate="no">one two <span title="five">three</span></p>
<pre>one
  two</pre>
</body></html>
"""


def _skeleton(soup):
    """Every element's name and non-translated attributes, in document order."""
    return [(tag.name, {k: v for k, v in tag.attrs.items() if k not in ("alt", "title", "lang")})
            for tag in soup.find_all(True)]


@pytest.mark.parametrize("which", ["protecting", "plain"])
def test_html_translates_text_only_and_keeps_the_page(which, protecting_bundle, bundle_factory):
    bs4 = pytest.importorskip("bs4")
    translator = Translator.load(protecting_bundle if which == "protecting" else bundle_factory("gru", "bahdanau"))
    out = translate_document(translator, PAGE.encode(), "html")
    before, after = bs4.BeautifulSoup(PAGE, "html.parser"), bs4.BeautifulSoup(out.data.decode(), "html.parser")
    assert after.html["lang"] == "fr" and after.title.string == translator.translate(["one two ."])[0]
    assert after.script.string == before.script.string and after.style.string == before.style.string
    assert after.pre.string == before.pre.string and after.code.string == "make install"
    assert str(after.find("p", attrs={"translate": "no"})) == str(before.find("p", attrs={"translate": "no"}))
    assert after.find(string=lambda s: isinstance(s, bs4.Comment)) == " one two "
    assert after.img["alt"] == translator.translate(["four five ."])[0]
    assert after.h1.string == translator.translate(["three four ."])[0]
    if out.markup_dropped == 0:  # the tags came back: the same elements, attributes and nesting
        assert _skeleton(after) == _skeleton(before)
    else:  # the page stays valid: only the inline tags of the blocks that lost them are gone
        assert {t.name for t in after.find_all(True)} <= {t.name for t in before.find_all(True)}


def test_inline_markup_comes_back_around_the_words_when_the_model_carries_it(protecting_bundle):
    translator = Translator.load(protecting_bundle)
    page = b'<p>Kanar says <a href="https://example.com/x">one</a> two .</p>'
    out = translate_document(translator, page, "html")
    if out.markup_dropped == 0:
        assert out.data.decode().count('<a href="https://example.com/x">') == 1 and "</a>" in out.data.decode()
    assert "Kanar" in out.data.decode()


def test_a_page_keeps_its_encoding_and_its_entities(translator):
    pytest.importorskip("bs4")
    page = ('<html lang="en"><head><meta charset="iso-8859-1"></head><body><p>one two .</p>'
            '<pre>caf&eacute;&nbsp;\xe9 &lt;b&gt; &#8217;</pre><p data-note="three &quot;four&quot;">five .</p>'
            '</body></html>').encode("latin-1")
    out = translate_document(translator, page, "html").data
    text = out.decode("latin-1")  # still Latin-1, as the page declares
    assert '<meta charset="iso-8859-1"/>' in text
    # Untouched text as written: every character the page wrote as an entity is that entity
    # again (a raw é of the page too), and a character Latin-1 cannot hold stays a reference.
    assert "<pre>caf&eacute;&nbsp;&eacute; &lt;b&gt; &#8217;</pre>" in text
    assert 'data-note="three &quot;four&quot;"' in text
    with_bom = translate_document(translator, b"\xef\xbb\xbf<p>one two .</p>", "html").data
    assert with_bom.startswith(b"\xef\xbb\xbf<p>")  # the byte order mark stays


def test_a_page_in_an_encoding_it_does_not_declare_is_one_line(translator):
    pytest.importorskip("bs4")
    with pytest.raises(DocumentError, match="not utf-8"):
        translate_document(translator, "<p>caf\xe9 .</p>".encode("latin-1"), "html")
    with pytest.raises(DocumentError, match="unknown character encoding"):
        translate_document(translator, b'<meta charset="klingon"><p>one .</p>', "html")


MARKDOWN = """---
title: one two
---
# three four .

one two `make install` three [four](https://example.com/x) .
five one .

- two *three* .
- four .

> five .

| one | two . |
|-----|-------|
| three | four five . |

```python
print("one two")
```

    indented code one two

<div>one two</div>
"""


@pytest.mark.parametrize("which", ["protecting", "plain"])
def test_markdown_translates_text_in_place_and_keeps_the_layout(which, protecting_bundle, bundle_factory):
    pytest.importorskip("markdown_it")
    translator = Translator.load(protecting_bundle if which == "protecting" else bundle_factory("gru", "bahdanau"))
    out = translate_document(translator, MARKDOWN.encode(), "markdown").data.decode()
    before, after = MARKDOWN.splitlines(), out.splitlines()
    assert len(after) == len(before)  # the same lines: breaks, blank lines, fences, table rows
    for kept in range(0, 3):
        assert after[kept] == before[kept]  # front matter
    for a, b in zip(after, before):
        if b.startswith(("```", "print(", "    indented", "<div>", "|---")):
            assert a == b  # code, HTML blocks and the table's rule untouched
        for prefix in ("# ", "- ", "> ", "| "):
            if b.startswith(prefix):
                assert a.startswith(prefix)
    assert after[3] == "# " + translator.translate(["three four ."])[0]
    assert "`make install`" in out and "(https://example.com/x)" in out  # never lost, never translated
    assert after[15].count("|") == before[15].count("|")


def _word_document(path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("three four .", 1)
    paragraph = document.add_paragraph("Kanar says ")
    paragraph.add_run("one").bold = True
    paragraph.add_run(" two .")
    table = document.add_table(rows=2, cols=2)
    for (row, column), text in {(0, 0): "one .", (0, 1): "two .", (1, 0): "three .", (1, 1): "four five ."}.items():
        table.cell(row, column).text = text
    tabbed = document.add_paragraph("one two")
    tabbed.add_run().add_tab()
    tabbed.add_run("three .")
    document.save(path)
    return path


@pytest.mark.parametrize("which", ["protecting", "plain"])
def test_docx_translates_paragraphs_and_cells_and_copies_every_other_part(which, protecting_bundle, bundle_factory,
                                                                          tmp_path):
    import io
    import zipfile

    docx = pytest.importorskip("docx")
    source = _word_document(tmp_path / "in.docx")
    translator = Translator.load(protecting_bundle if which == "protecting" else bundle_factory("gru", "bahdanau"))
    result = translate_document(translator, source, "docx")
    before, after = docx.Document(source), docx.Document(io.BytesIO(result.data))
    assert len(after.paragraphs) == len(before.paragraphs) and len(after.tables) == 1
    assert after.paragraphs[0].text == translator.translate(["three four ."])[0]
    assert [[c.text for c in r.cells] for r in after.tables[0].rows] == \
        [translator.translate(["one .", "two ."]), translator.translate(["three .", "four five ."])]
    assert "\t" in "".join(r.text for r in after.paragraphs[-1].runs)  # the tab, never lost
    if result.markup_dropped == 0:
        assert any(r.bold for r in after.paragraphs[1].runs)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(io.BytesIO(result.data)) as new:
        assert old.namelist() == new.namelist()
        for name in old.namelist():
            if name != "word/document.xml":
                assert old.read(name) == new.read(name), name


def test_a_docx_that_is_not_a_zip_or_a_zip_bomb_is_one_line(bundle_factory, tmp_path):
    import zipfile

    bundle = str(bundle_factory("gru", "bahdanau"))
    (tmp_path / "text.docx").write_text("not a zip", encoding="utf-8")
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/document.xml", b"<a>" + b" " * (300 << 20) + b"</a>")
    for name, fragment in (("text.docx", "not a zip"), ("bomb.docx", "zip bomb")):
        result = CliRunner().invoke(main, ["-m", bundle, "-i", str(tmp_path / name), "-o", str(tmp_path / "o.docx")])
        assert result.exit_code == 2 and fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1


VTT = """WEBVTT - a film

NOTE one two three
four five

STYLE
::cue { color: yellow; }

intro
00:00:01.000 --> 00:00:03.000 align:start position:10%
one two three

00:00:03.200 --> 00:00:05.000
four five.

00:06.000 --> 00:08.500
<v Anna>six seven.
"""


def test_webvtt_keeps_every_block_but_the_cue_text(translator):
    import re

    out = translate_document(translator, VTT.encode(), "vtt").data.decode()
    blocks = re.compile(r"\n(?:[ \t]*\n)+")
    before, after = blocks.split(VTT), blocks.split(out)
    assert len(after) == len(before) and out.endswith("\n")
    for a, b in zip(after, before):
        lines_a, lines_b = a.splitlines(), b.splitlines()
        if "-->" in b:
            timing = next(i for i, line in enumerate(lines_b) if "-->" in line)
            assert lines_a[: timing + 1] == lines_b[: timing + 1]  # identifier, timing and settings
        if not any("-->" in line for line in lines_b):
            assert a == b  # header, NOTE and STYLE untouched
    whole = translator.translate(["one two three four five."])[0]
    # A styled cue: its speaker stays in front, its words are translated.
    assert after[-1].splitlines()[1] == "<v Anna>" + translator.translate(["six seven."])[0]
    assert " ".join(" ".join(block.splitlines()[2 if i == 3 else 1:]) for i, block in enumerate(after[3:5], start=3)
                    ).split() == whole.split()


XLIFF_12 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file source-language="en" datatype="plaintext" original="app">
    <body>
      <trans-unit id="1"><source>one two .</source></trans-unit>
      <trans-unit id="2"><source>Kanar says <g id="b">one</g> two <x id="br"/>.</source><target></target></trans-unit>
      <trans-unit id="3"><source>three .</source><target>trois (déjà)</target></trans-unit>
      <trans-unit id="4" translate="no"><source>four .</source></trans-unit>
    </body>
  </file>
</xliff>
"""

XLIFF_20 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en">
  <file id="f1">
    <unit id="u1"><segment><source>one <pc id="1">two</pc> three .</source></segment></unit>
    <unit id="u2" translate="no"><segment><source>four .</source></segment></unit>
  </file>
</xliff>
"""


@pytest.mark.parametrize("which", ["protecting", "plain"])
def test_xliff_fills_missing_targets_and_keeps_everything_else(which, protecting_bundle, bundle_factory):
    etree = pytest.importorskip("lxml.etree")
    translator = Translator.load(protecting_bundle if which == "protecting" else bundle_factory("gru", "bahdanau"))
    ns12 = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    root = etree.fromstring(translate_document(translator, XLIFF_12.encode(), "xliff").data)
    units = root.findall(".//x:trans-unit", ns12)
    assert [u.get("id") for u in units] == ["1", "2", "3", "4"]
    assert units[0].find("x:target", ns12).text == translator.translate(["one two ."])[0]
    assert units[0].find("x:target", ns12).get("state") == "needs-review-translation"
    assert units[1].find("x:target", ns12).find("x:x", ns12) is not None  # the piece, never lost
    assert units[2].find("x:target", ns12).text == "trois (déjà)"  # already translated: left alone
    assert units[3].find("x:target", ns12) is None  # translate="no"
    assert root.find("x:file", ns12).get("target-language") == "fr"
    ns20 = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
    root = etree.fromstring(translate_document(translator, XLIFF_20.encode(), "xliff").data)
    segments = root.findall(".//x:segment", ns20)
    assert segments[0].get("state") == "translated" and segments[0].find("x:target", ns20) is not None
    assert segments[1].find("x:target", ns20) is None and root.get("trgLang") == "fr"


def test_a_malformed_xliff_is_one_line(bundle_factory, tmp_path):
    path = tmp_path / "bad.xlf"
    path.write_text("<xliff><file>", encoding="utf-8")
    result = CliRunner().invoke(main, ["-m", str(bundle_factory("gru", "bahdanau")), "-i", str(path)])
    assert result.exit_code == 2 and "not a readable XLIFF file" in result.stderr


def test_a_document_that_is_not_a_regular_file_is_refused_unread(translator, tmp_path):
    import os

    from s2s.runtime.errors import InputError

    fifo = tmp_path / "app.po"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        translate_document(translator, fifo)  # reading it would block until a writer came


def test_well_nested_markers():
    from s2s.runtime.documents.markers import well_nested

    pairs = {"a": "A", "b": "B"}
    assert well_nested("x a y b z B A", pairs)
    assert not well_nested("a b A B", pairs)  # crossed
    assert not well_nested("a A b", pairs)  # a closing missing
    assert not well_nested("a A a A b B", pairs)  # written twice
    assert not well_nested("A a b B", pairs)  # closed before opened


def test_markers_stand_apart_from_words_for_the_model_and_join_them_again():
    from s2s.runtime.documents.markers import glued, marker, spaced

    b, slash_b, br = marker(0), marker(1), marker(2)
    segment = f"Have you seen {b}Tom{slash_b}, or{br}Mary?"
    text, glue, index = spaced(segment)
    assert text == f"Have you seen {b} Tom {slash_b}, or {br} Mary?"
    assert text[index[segment.index("Tom")]:].startswith("Tom") and index[-1] == len(text)
    assert glue == {b: (False, True), slash_b: (True, False), br: (True, True)}
    # Joined on the sides the source joined, wherever the model put them.
    assert glued(f"As-tu vu {b} Tom {slash_b}, ou {br} Marie ?", glue) == f"As-tu vu {b}Tom{slash_b}, ou{br}Marie ?"
    assert glued(f"{b} Tom {slash_b} a vu {br} Marie.", glue) == f"{b}Tom{slash_b} a vu{br}Marie."
    nested = f"{b}{br}x{slash_b}"
    assert spaced(nested)[0] == f"{b} {br} x {slash_b}" and glued(spaced(nested)[0], spaced(nested)[1]) == nested
    assert spaced("plain text") == ("plain text", {}, list(range(11)))


def test_a_pair_split_between_cues_is_closed_and_opened_again():
    from s2s.runtime.documents.subtitles import _Styling

    styling = _Styling()
    first = styling.cue("{\\an8}<v Anna><i>one two three</i>")
    assert first.prefix == "{\\an8}<v Anna>"  # opened and never closed: in front of the cue again
    second = styling.cue("four <b>five</b>")
    assert styling.words(first.text + " " + second.text) == "one two three four five"
    (opening,) = [m for m in first.text if m in styling.closing_of]
    # The translation's pair runs on into the second cue's part.
    translation = f"{opening}un deux trois quatre{styling.closing_of[opening]}"
    assert styling.spread(translation, [13, 4]) == ["<i>un deux trois</i>", "<i>quatre</i>"]
