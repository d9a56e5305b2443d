"""Hostile and odd documents: one line (a DocumentError) or the document written back exactly,
never a traceback, a rewritten timing or a number that changed."""

from __future__ import annotations

import pytest

from s2s.runtime.documents import DocumentError, _load

pytest.importorskip("bs4")


def _roundtrip(name: str, document: bytes, translate=lambda s: s) -> tuple[list[str], bytes]:
    extracted = _load(name).extract(document)
    return extracted.segments, extracted.rebuild([translate(s) for s in extracted.segments])


def test_html_nested_deeper_than_it_reads_is_one_error_and_ordinary_depth_works():
    deep = ("<p>" + "<b>x " * 1000 + "</p>").encode()
    with pytest.raises(DocumentError, match="nested"):  # was a RecursionError traceback
        _load("html").extract(deep)
    segments, _ = _roundtrip("html", ("<p>" + "<b>x " * 200 + "</p>").encode())
    assert segments


@pytest.mark.parametrize("number", ["1E400", "0.1000000000000000055511151231257827", "9" * 5000, "-0", "1.0", "1e-7"])
def test_json_numbers_are_written_exactly_as_read(number):
    document = f'{{"n": {number}, "t": "Hello"}}\n'.encode()
    segments, out = _roundtrip("json", document, str.upper)
    assert segments == ["Hello"] and out == f'{{"n": {number}, "t": "HELLO"}}\n'.encode()


def test_json_duplicate_keys_and_lone_surrogates_come_back_as_written():
    document = b'{\n  "a": "One.",\n  "a": "Two.",\n  "s": "\\ud800 bad",\n  "k\\udc00": "Key."\n}\n'
    segments, out = _roundtrip("json", document, str.upper)
    assert segments == ["One.", "Two.", "Key."]  # the string with a lone surrogate is no text
    assert out == b'{\n  "a": "ONE.",\n  "a": "TWO.",\n  "s": "\\ud800 bad",\n  "k\\udc00": "KEY."\n}\n'


@pytest.mark.parametrize("timing", ["00:02,500 --> 00:04,000", "-00:00:01,000 --> 00:00:02,000",
                                    "00:00:01,000 --> 00:00:0", "00:61:00,000 --> 00:62:00,000"])
def test_srt_with_a_malformed_timing_is_one_error_never_rewritten(timing):
    pytest.importorskip("srt")
    document = f"1\n{timing}\nHello.\n\n2\n00:00:05,000 --> 00:00:06,000\nBye.\n\n".encode()
    with pytest.raises(DocumentError, match="malformed timing"):
        _load("srt").extract(document)


def test_srt_dialogue_holding_an_arrow_is_text():
    pytest.importorskip("srt")
    segments, _ = _roundtrip("srt", b"1\n00:00:01,000 --> 00:00:02,000\nGo left --> then right.\n\n")
    assert segments == ["Go left --> then right."]


def test_html_declared_utf16_reads_as_utf8_and_utf7_is_never_decoded():
    segments, out = _roundtrip("html", '<meta charset="utf-16"><p>Hello world, café.</p>'.encode())
    assert segments == ["Hello world, café."]  # was decoded as UTF-16 into one garbled sentence
    inert = b'<meta charset="utf-7"><p>+ADw-script+AD4-alert(1)+ADw-/script+AD4-</p>'
    _, out = _roundtrip("html", inert)
    assert b"<script>" not in out and b"+ADw-script+AD4-" in out


def test_html_cdata_stays_hidden_and_untranslated():
    page = b"<p>Keep <b>this <![CDATA[ secret ]]> here</b>.</p><![CDATA[ hidden ]]><p>Bye.</p>"
    segments, out = _roundtrip("html", page, str.upper)
    assert all("secret" not in s and "hidden" not in s for s in segments)
    assert b"<![CDATA[ secret ]]>" in out and b"<![CDATA[ hidden ]]>" in out and b"BYE." in out


def _docx(make_docx, media: bytes, text: str = "The cat sleeps.") -> bytes:
    return make_docx(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>", media)


def test_docx_with_a_damaged_part_is_refused_before_any_translation(make_docx):
    pytest.importorskip("lxml")
    whole = _docx(make_docx, b"\x89PNG" + b"pixels" * 100)
    assert _load("docx").extract(whole).segments == ["The cat sleeps."]
    damaged = whole.replace(b"pixelspixels", b"pixelsPIXELS", 1)  # the stored bytes no longer match their CRC
    with pytest.raises(DocumentError, match="image1.png"):  # was a traceback after translating, the work lost
        _load("docx").extract(damaged)


def test_docx_text_after_a_comment_inside_its_text_is_translated_whole(make_docx):
    pytest.importorskip("lxml")
    document = _docx(make_docx, b"png", text="The weather is nice <!-- c --> today<?pi x?> and I am happy.")
    segments, out = _roundtrip("docx", document, str.upper)
    assert segments == ["The weather is nice  today and I am happy."]  # was cut at the comment
    import io
    import zipfile

    assert b"THE WEATHER IS NICE  TODAY AND I AM HAPPY." in zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml")


PO_HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


@pytest.mark.parametrize("entry", ['msgid "Hello\nmsgstr ""\n', 'msgid "a\\qb"\nmsgstr ""\n',
                                   'msgid "\\x41\\101"\nmsgstr ""\n', 'msgid "bell\\a"\nmsgstr ""\n'])
def test_po_strings_polib_would_change_are_one_error(entry):
    pytest.importorskip("polib")
    with pytest.raises(DocumentError, match="line 5"):  # "Hello became "Hell"; escapes were rewritten
        _load("po").extract((PO_HEADER + entry).encode())


def test_po_msgids_come_back_byte_for_byte():
    pytest.importorskip("polib")
    entry = 'msgid "Say \\"hi\\"\\tnow\\\\n\\n"\nmsgstr ""\n'
    _, out = _roundtrip("po", (PO_HEADER + entry).encode(), lambda s: "X")
    assert 'msgid "Say \\"hi\\"\\tnow\\\\n\\n"' in out.decode()


POT = '''# Template
msgid ""
msgstr ""
"Project-Id-Version: app 1.0\\n"
"Language: \\n"
"Content-Type: text/plain; charset=CHARSET\\n"
"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"

msgid "%d file"
msgid_plural "%d files"
msgstr[0] ""
msgstr[1] ""
'''


def test_a_template_becomes_a_catalogue_of_the_target_language(tmp_path):
    pytest.importorskip("polib")
    import shutil
    import subprocess

    extracted = _load("po").extract(POT.encode())
    extracted.set_language("fr")
    out = extracted.rebuild(["%d fichier", "%d fichiers"]).decode()
    assert '"Language: fr\\n"' in out and '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"' in out
    assert "charset=UTF-8" in out
    if shutil.which("msgfmt"):  # the check a build runs ("header entry lacks a plural=EXPRESSION" before)
        (tmp_path / "app.fr.po").write_text(out, encoding="utf-8")
        subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(tmp_path / "app.fr.po")], check=True)
    # A catalogue that says its language and plural rule keeps them.
    said = POT.replace("Language: ", "Language: fr_CA").replace("INTEGER; plural=EXPRESSION", "2; plural=(n > 1)")
    extracted = _load("po").extract(said.encode())
    extracted.set_language("fr")
    assert '"Language: fr_CA\\n"' in extracted.rebuild(["a", "b"]).decode()


def test_srt_keeps_its_crlf_line_ends():
    pytest.importorskip("srt")
    document = b"1\r\n00:00:01,000 --> 00:00:02,000\r\nHello there.\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nBye.\r\n\r\n"
    _, out = _roundtrip("srt", document)
    assert out == document  # came back with LF line ends


def test_html_says_its_new_language_twice_and_translates_tooltips_not_stylesheet_titles():
    page = ('<html lang="en" xml:lang="en"><head><link rel="stylesheet" title="Main style" href="s.css">'
            '<title>Manual</title></head><body><p>See <a href="#x" title="Permanent link">the manual</a> and '
            '<img src="i.png" alt="A cat"> now.</p></body></html>').encode()
    extracted = _load("html").extract(page)
    assert "Main style" not in extracted.segments and "Permanent link" in extracted.segments
    extracted.set_language("fr")
    out = extracted.rebuild([s.upper() for s in extracted.segments]).decode()
    assert 'lang="fr" xml:lang="fr"' in out and 'title="Main style"' in out
    assert 'title="PERMANENT LINK"' in out and 'alt="A CAT"' in out  # were written back untranslated


def test_a_typed_icu_argument_must_come_through_or_the_source_is_kept():
    extracted = _load("json").extract(b'{"a": "Channel name must be {minLength, number} or more characters"}')
    assert extracted.required == [["{minLength, number}"]]  # was []: lost without a word


def test_an_angular_icu_unit_is_left_for_its_source():
    pytest.importorskip("lxml")
    document = ('<?xml version="1.0"?><xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file '
                'source-language="en" datatype="plaintext" original="x"><body>'
                '<trans-unit id="p"><source>{VAR_PLURAL, plural, one {participant} other {participants}}</source>'
                '</trans-unit><trans-unit id="t"><source>Join the call</source></trans-unit></body></file></xliff>')
    segments, out = _roundtrip("xliff", document.encode(), str.upper)
    assert segments == ["Join the call"]  # the ICU unit got a prose target an Angular build rejects
    assert out.decode().count("<target") == 1 and "JOIN THE CALL" in out.decode()


def test_a_link_or_anchor_the_alignment_could_not_place_is_never_lost():
    from s2s.runtime.documents.markers import is_marker

    page = ('<h2><a id="upgrading" name="upgrading">Upgrading</a> now</h2>'
            '<p class="menu"><a href="./mod/">Modules</a> | <a href="./glossary.html">Glossary</a></p>')
    extracted = _load("html").extract(page.encode())
    # The model's output without the pairs' markers (no target word aligned with their words).
    out = extracted.rebuild(["".join(c for c in s if not is_marker(c)).upper() for s in extracted.segments]).decode()
    assert '<a id="upgrading" name="upgrading">UPGRADING NOW</a>' in out  # around the whole translation
    assert '<a href="./mod/">Modules</a> | <a href="./glossary.html">Glossary</a>' in out  # the source kept
    assert extracted.counts == {"markup_dropped": 0, "kept_source": 1}


README_WITH_BADGES = """# Tool

[![CI](https://x/badge.svg)](https://x/CICD.yml) [![Crates](https://x/c.svg)](https://crates.io/x)

See [LICENSE-APACHE](LICENSE-APACHE) and [LICENSE-MIT](LICENSE-MIT) for the terms.

| Command | Mean |
|:---|---:|
| `sleep 0.3` | 2.275 ± 0.046 |
| the slow one | 3.1 |
"""


def test_markdown_keeps_every_link_and_image_and_leaves_cells_without_words():
    pytest.importorskip("markdown_it")
    from s2s.runtime.documents.markers import is_marker

    extracted = _load("markdown").extract(README_WITH_BADGES.encode())
    assert not any("2.275" in s or "3.1" == s or "sleep" in s for s in extracted.segments)  # were translated
    # A model that lost the links' markers: the blocks keep their source rather than break their links.
    out = extracted.rebuild(["".join(c for c in s if not is_marker(c)).upper() for s in extracted.segments]).decode()
    for line in README_WITH_BADGES.splitlines():
        if "](" in line:
            assert line in out.splitlines()
    assert "| THE SLOW ONE | 3.1 |" in out and extracted.counts["kept_source"] == 2


def test_a_cue_is_never_reduced_to_punctuation():
    from s2s.runtime.documents.subtitles import split_proportionally

    # French writes "!" apart: the second cue of "Bonjour !" was "!".
    assert split_proportionally("Bonjour !", [10, 10]) == ["Bonjour !", ""]
    parts = split_proportionally("Un mouvement de travers et tu es réduit en bouillie !", [24, 33])
    assert all(any(c.isalnum() for c in part) for part in parts) and parts[1].endswith("bouillie !")
    assert split_proportionally("« Oui » , dit-il : « non ! »", [10, 10, 10]) == ["« Oui » ,", "dit-il :", "« non ! »"]
