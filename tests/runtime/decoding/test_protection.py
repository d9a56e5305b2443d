"""Runtime protection: what is protected, how it is put back (and repaired), glossary and keep
terms, and a tiny bundle trained with placeholders translating through all of it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from s2s.runtime.errors import InputError
from s2s.runtime.bundle.placeholders import placeholder, shown
from s2s.runtime.decoding.protection import (MAX_TERMS_FILE_BYTES, ProtectedText, Protector, Terms, read_glossary,
                                    read_keep_file, restore)

KNOWN = {"the", "The", "at", "to", "visit", "Visit", "send", "Send", "call", "Call", "flight", "Flight", "Tom", "see",
         "See", "open", "Open", "ticket", "Ticket"}


def _protector(**terms) -> Protector:
    return Protector(lambda word: word in KNOWN, Terms.of(**terms))


def _kinds(sentence: str, **terms) -> list[tuple[str, str]]:
    return [(item.kind, item.source) for item in _protector(**terms).protect(sentence).items]


@pytest.mark.parametrize("sentence, expected", [
    ("Visit https://example.com/help?q=1 for details.", [("url", "https://example.com/help?q=1")]),
    ("See www.example.org.", [("url", "www.example.org")]),
    ("Send it to billing@example.com today.", [("email", "billing@example.com")]),
    ("Open ~/docs/report.txt now.", [("path", "~/docs/report.txt")]),
    ("Open /etc/hosts and C:\\Users\\me\\a.txt.", [("path", "/etc/hosts"), ("path", "C:\\Users\\me\\a.txt")]),
    ("Flight LH1234 leaves from gate B22.", [("code", "LH1234"), ("code", "B22")]),
    ("Ticket #5531 and part X7-42QB.", [("code", "#5531"), ("code", "X7-42QB")]),
    ("Call 06 12 34 56 78 at 14:05.", [("number", "06 12 34 56 78"), ("number", "14:05")]),
    ("Version 4.2.1 costs $5, or 12% of 1,000.50.", [("name", "Version"), ("number", "4.2.1"), ("number", "$5"),
                                                     ("number", "12%"), ("number", "1,000.50")]),
    ("Olga met Tom in Lisbon.", [("name", "Olga"), ("name", "Lisbon")]),
    ("and/or the cat", []),
    # Format placeholders of interface strings ("Installed (%d):" came back as "Installed (mant des%.").
    ("installed (%d):", [("format", "%d")]),
    ("{users} and {lastUser} joined the channel.", [("format", "{users}"), ("format", "{lastUser}")]),
    ("save %(count)s files to %1$s, %% done.", [("format", "%(count)s"), ("format", "%1$s"), ("format", "%%")]),
    ("must be {minLength, number} or more, {0} or {}.", [("format", "{minLength, number}"), ("format", "{0}"),
                                                          ("format", "{}")]),
    ("hello {{ name }} and ${user}.", [("format", "{{ name }}"), ("format", "${user}")]),
    ("a % of it, 50% off.", [("number", "50%")]),
    ("The NASA team", []),  # all capitals: an acronym, not a name
])
def test_each_protected_kind(sentence, expected):
    assert _kinds(sentence) == expected


def test_glossary_and_keep_terms_win_and_match_whole_words_in_any_case():
    protector = _protector(glossary={"invoice": "facture", "New York City": "NYC"}, keep=["Acme Cloud"])
    protected = protector.protect("The INVOICE from acme cloud in New York City; invoices stay.")
    assert [(i.kind, i.source, i.output) for i in protected.items] == [
        ("glossary", "INVOICE", "facture"), ("keep", "acme cloud", "acme cloud"), ("glossary", "New York City", "NYC")]
    assert shown(protected.text) == "The ⟦1⟧ from ⟦2⟧ in ⟦3⟧; invoices stay."


def test_the_same_item_twice_is_one_placeholder_and_sixteen_at_most():
    protected = _protector().protect("Olga saw Olga.")
    assert shown(protected.text) == "⟦1⟧ saw ⟦1⟧." and len(protected.items) == 1
    many = " ".join(f"A{i}" for i in range(20))
    protected = _protector().protect(many)
    assert len(protected.items) == 16 and protected.text.endswith("A16 A17 A18 A19")


def test_a_private_use_character_in_the_input_cannot_forge_a_placeholder():
    protected = _protector().protect(f"look {placeholder(1)} here")
    assert protected.items[0].kind == "private-use"
    assert restore(protected, f"regarde {placeholder(1)} ici").text == f"regarde {placeholder(1)} ici"


def test_restore_puts_items_back_and_drops_repeats_and_inventions():
    protected = _protector().protect("Call Olga at 06 12 34 56 78.")
    p1, p2 = placeholder(1), placeholder(2)
    assert restore(protected, f"Appelle {p1} au {p2}.").text == "Appelle Olga au 06 12 34 56 78."
    result = restore(protected, f"Appelle {p1} {p1} au {p2} {placeholder(9)}.")
    assert (result.text, result.removed, result.repaired) == ("Appelle Olga au 06 12 34 56 78.", 2, 0)


def test_a_dropped_placeholder_goes_after_the_target_token_attending_to_it_most():
    protected = ProtectedText(f"Call {placeholder(1)} now.", _protector().protect("Call Olga now.").items)
    output = "Appelle maintenant."
    ends = [7, 18, 19]  # "Appelle", " maintenant", "."
    attention = np.array([[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]], dtype=np.float32)
    # source token 1 holds ⟦1⟧; target token 0 ("Appelle") attends to it most
    result = restore(protected, output, ends, {1: 1}, attention)
    assert (result.text, result.repaired) == ("Appelle Olga maintenant.", 1)
    assert restore(protected, output).text == "Appelle maintenant. Olga"  # no attention: appended, never lost


@pytest.mark.parametrize("content, message", [
    (b"a\tb\tc\n", "line 1: expected source term<TAB>target term, found 3"),
    (b"ok\tbien\n\tvide\n", "line 2: empty source term"),
    (b"ok\tbien\nseul\n", "line 2: expected source term<TAB>target term, found 1"),
    (b"ok\tbien\n\xff\xfe\tx\n", "line 2: not UTF-8"),
])
def test_bad_glossary_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "g.tsv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_glossary(path)


def test_huge_and_special_term_files_are_refused_before_reading(tmp_path):
    huge = tmp_path / "huge.tsv"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_TERMS_FILE_BYTES + 1)  # sparse: nothing is written, nothing must be read
    with pytest.raises(InputError, match="larger than"):
        read_glossary(huge)
    with pytest.raises(InputError, match="not a regular file"):
        read_keep_file(tmp_path)
    keep = tmp_path / "keep.txt"
    keep.write_text("# product names\nAcme Cloud\n\nX-Ray\n", encoding="utf-8")
    assert read_keep_file(keep) == ["Acme Cloud", "X-Ray"]


def test_the_manifest_declares_the_placeholders(protecting_bundle):
    manifest = json.loads((protecting_bundle / "model.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == 3
    assert manifest["protection"]["trained_share"] == 1.0 and len(manifest["protection"]["placeholders"]) == 16


def test_protected_items_come_through_unchanged(protecting_bundle):
    from s2s.runtime import Translator

    translator = Translator.load(protecting_bundle)
    assert translator.bundle.manifest.protects
    names = ["Xylophonia", "B22", "Quixotl", "LH1234", "billing@example.com", "https://example.com/a"]
    sources = [f"{name} says two three ." for name in names]
    assert translator.translate(sources) == [f"{name} dit deux trois ." for name in names]
    # unprotected, the model has never seen such names: it cannot copy them
    assert translator.translate(sources, protect=False) != [f"{name} dit deux trois ." for name in names]
    assert translator.translate(["Kanar says one ."], glossary={"Kanar": "Canard"}) == ["Canard dit un ."]


def test_protection_keeps_batch_invariance(protecting_bundle, make_protection_pairs):
    from s2s.runtime import Translator

    translator = Translator.load(protecting_bundle)
    sources = [s for s, _ in make_protection_pairs(40, seed=9)] + ["LH1234 says five four .", "two ."]
    alone = [translator.translate(s)[0] for s in sources]
    assert translator.translate(sources, batch_size=7) == alone == translator.translate(sources, batch_size=64)


def test_glossary_on_a_bundle_without_placeholders_is_refused(bundle_factory):
    from s2s.runtime import Translator

    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    assert not translator.bundle.manifest.protects
    assert translator.translate(["one two ."]) == translator.translate(["one two ."], protect=False)
    with pytest.raises(InputError, match="not trained with placeholders"):
        translator.translate(["one"], glossary={"one": "un"})


def test_cli_glossary_keep_and_jsonl(protecting_bundle, tmp_path):
    from click.testing import CliRunner

    from s2s.runtime.cli.translate import main

    glossary = tmp_path / "terms.tsv"
    glossary.write_text("Kanar\tCanard\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["-m", str(protecting_bundle), "--glossary", str(glossary), "--keep", "Zorro",
                                  "Kanar says one .", "Zorro says two ."])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["Canard dit un .", "Zorro dit deux ."]
    result = runner.invoke(main, ["-m", str(protecting_bundle), "--format", "jsonl", "Quixotl says one ."])
    record = json.loads(result.stdout)
    assert record["protected"] == [{"kind": "name", "source": "Quixotl", "output": "Quixotl"}]
    bad = tmp_path / "bad.tsv"
    bad.write_text("only one column\n", encoding="utf-8")
    result = runner.invoke(main, ["-m", str(protecting_bundle), "--glossary", str(bad), "x"])
    assert result.exit_code == 2 and "line 1" in result.stderr


def test_an_item_the_sentence_holds_twice_comes_back_twice():
    protected = _protector().protect("Ticket #42 replaces #42.")
    p1 = placeholder(1)
    assert shown(protected.text) == "Ticket ⟦1⟧ replaces ⟦1⟧." and len(protected.items) == 1
    assert restore(protected, f"Le ticket {p1} remplace {p1}.").text == "Le ticket #42 remplace #42."
    assert restore(protected, f"{p1} {p1} {p1}.").text == "#42 #42."  # a third, invented: dropped


def test_contractions_are_not_names_and_nouns_are_not_names_in_german():
    """Found on real test sets: "I'm", "Don't" were taken for unknown names (the tokenizers split
    at the apostrophe), and every capitalised German noun too; both cost BLEU."""
    known = {"I", "You", "you", "Don", "don", "Tom", "here", "late", "dog"}
    protector = Protector(lambda word: word in known)
    assert protector.protect("I'm here. You're late. Don't! Tom's dog.").items == []
    assert [i.source for i in protector.protect("Olga's dog met Jean-Pierre.").items] == ["Olga", "Jean-Pierre"]
    german = Protector(lambda word: False, names=False)
    assert [i.kind for i in german.protect("Der Hund sah Olga um 14:30.").items] == ["number"]
