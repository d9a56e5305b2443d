"""Translation memories as training data: PO, XLIFF 1.2 and 2.0, TMX and JSON locale pairs, each
read into pairs, checked for its direction, and refused in one line when it holds nothing."""

from __future__ import annotations

import json

import pytest

from s2s.training.data import read_parallel
from s2s.training.errors import TrainingInputError

pytest.importorskip("polib")
pytest.importorskip("lxml")

PO = '''msgid ""
msgstr ""
"Language: {language}\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

msgid "Open file"
msgstr "Ouvrir le fichier"

msgid "%d file"
msgid_plural "%d files"
msgstr[0] "%d fichier"
msgstr[1] "%d fichiers"

#, fuzzy
msgid "Close"
msgstr "Fermer peut-être"

msgid "Untranslated"
msgstr ""

#~ msgid "Old"
#~ msgstr "Vieux"
'''


def _pairs(path, source="en", target="fr"):
    corpus = read_parallel(str(path), source, target)
    return list(zip(corpus.sources, corpus.targets))


def test_a_po_catalogue_gives_its_translated_entries_and_plural_forms(tmp_path):
    path = tmp_path / "app.fr.po"
    path.write_text(PO.format(language="fr"), encoding="utf-8")
    assert _pairs(path) == [("Open file", "Ouvrir le fichier"), ("%d file", "%d fichier"), ("%d files", "%d fichiers")]


def test_xliff_12_and_20_give_source_and_target_without_native_codes(tmp_path):
    v12 = tmp_path / "app.xlf"
    v12.write_text('<?xml version="1.0"?><xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">'
                   '<file source-language="en-US" target-language="fr-FR" datatype="plaintext" original="a"><body>'
                   '<trans-unit id="1"><source>Save <g id="1">all</g> files<ph id="2">&lt;br/&gt;</ph></source>'
                   '<target>Enregistrer <g id="1">tous</g> les fichiers<ph id="2">&lt;br/&gt;</ph></target></trans-unit>'
                   '<trans-unit id="2"><source>Quit</source><target state="new">Quit</target></trans-unit>'
                   '<trans-unit id="3"><source>No target</source></trans-unit>'
                   '</body></file></xliff>', encoding="utf-8")
    assert _pairs(v12) == [("Save all files", "Enregistrer tous les fichiers")]
    v20 = tmp_path / "app.xliff"
    v20.write_text('<?xml version="1.0"?><xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" '
                   'srcLang="en" trgLang="fr"><file id="f"><unit id="1"><segment><source>Log in</source>'
                   '<target>Se connecter</target></segment></unit></file></xliff>', encoding="utf-8")
    assert _pairs(v20) == [("Log in", "Se connecter")]


def test_tmx_gives_the_two_languages_asked_for(tmp_path):
    path = tmp_path / "memory.tmx"
    path.write_text('<?xml version="1.0"?><tmx version="1.4"><header srclang="en-US" datatype="plaintext" '
                    'segtype="sentence" adminlang="en" creationtool="x" creationtoolversion="1" o-tmf="x"/><body>'
                    '<tu><tuv xml:lang="en-US"><seg>Share</seg></tuv><tuv xml:lang="de-DE"><seg>Teilen</seg></tuv>'
                    '<tuv xml:lang="fr-FR"><seg>Partager</seg></tuv></tu>'
                    '<tu><tuv xml:lang="en-US"><seg>Only English</seg></tuv></tu></body></tmx>', encoding="utf-8")
    assert _pairs(path) == [("Share", "Partager")]
    assert _pairs(path, "de", "en") == [("Teilen", "Share")]
    with pytest.raises(TrainingInputError, match="not both en and es"):
        _pairs(path, "en", "es")


def test_two_json_locale_files_are_matched_by_flattened_key(tmp_path):
    (tmp_path / "en.json").write_text(json.dumps({"menu": {"open": "Open", "close": "Close"}, "n": 3, "only": "x"}),
                                      encoding="utf-8")
    (tmp_path / "fr.json").write_text(json.dumps({"menu": {"open": "Ouvrir", "close": "Fermer"}, "n": 3}),
                                      encoding="utf-8")
    assert _pairs(f"{tmp_path / 'en.json'}:{tmp_path / 'fr.json'}") == [("Open", "Ouvrir"), ("Close", "Fermer")]


def test_a_memory_in_the_wrong_direction_or_language_is_one_line(tmp_path):
    po = tmp_path / "app.de.po"
    po.write_text(PO.format(language="de"), encoding="utf-8")
    with pytest.raises(TrainingInputError, match="translates into 'de', not --target-lang fr"):
        _pairs(po)
    xliff = tmp_path / "back.xlf"
    xliff.write_text('<?xml version="1.0"?><xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">'
                     '<file source-language="fr" target-language="en" datatype="plaintext" original="a"><body>'
                     '<trans-unit id="1"><source>Oui</source><target>Yes</target></trans-unit></body></file></xliff>',
                     encoding="utf-8")
    with pytest.raises(TrainingInputError, match="translates fr→en"):
        _pairs(xliff)


def test_a_memory_without_a_usable_pair_is_one_line(tmp_path):
    path = tmp_path / "empty.po"
    path.write_text('msgid ""\nmsgstr ""\n"Language: fr\\n"\n\nmsgid "A"\nmsgstr ""\n', encoding="utf-8")
    with pytest.raises(TrainingInputError, match="no translated pair"):
        _pairs(path)


def test_s2s_train_trains_on_a_catalogue(tmp_path):
    from click.testing import CliRunner

    from s2s.training.cli import main

    path = tmp_path / "app.fr.po"
    path.write_text(PO.format(language="fr"), encoding="utf-8")
    result = CliRunner().invoke(main, ["--train", str(path), "--source-lang", "en", "--target-lang", "fr", "-o",
                                       str(tmp_path / "run"), "--tokenizer", "word", "--vocab-size", "50",
                                       "--embedding-dim", "8", "--hidden-dim", "8", "--epochs", "1", "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert "training pairs: 3" in result.output
