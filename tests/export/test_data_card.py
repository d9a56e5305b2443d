"""The bundle says what its model was trained on, and the runtime warns about far longer inputs."""

import logging

from s2s.runtime import Translator, load_bundle


def test_manifest_and_card_describe_the_training_data(bundle_factory, task_data):
    path = bundle_factory("gru", "luong", quantize="int8")
    data = load_bundle(path).manifest.document["training_data"]
    assert [c["path"] for c in data["corpora"]] == [str(task_data["train"])] and data["pairs"] == 1500
    tokens = data["source_tokens"]
    # The task's sources are 2 to 6 digit words and a full stop (word tokenizer: 3 to 7 tokens).
    assert 3 <= tokens["p50"] <= tokens["p90"] <= tokens["p99"] <= tokens["max"] == 7
    card = (path / "README.md").read_text()
    assert "## Training data and where the model will fail" in card and "1,500 sentence pairs" in card


def test_one_warning_for_inputs_longer_than_any_training_sentence(bundle_factory, caplog):
    translator = Translator.load(bundle_factory("gru", "luong", quantize="int8"))
    with caplog.at_level(logging.WARNING, logger="s2s.runtime"):
        translator.translate(["one two three."])
        assert not caplog.records
        long = " ".join(["one"] * 20) + "."
        translator.translate([long, long])
        translator.translate([long])
    assert len([r for r in caplog.records if "longer than any" in r.message]) == 1


def test_the_card_shows_a_corpus_beside_the_checkout_by_a_relative_path(tmp_path, monkeypatch):
    import os

    from s2s.export.data_card import shown_path

    checkout = tmp_path / "checkout"
    checkout.mkdir()
    monkeypatch.chdir(checkout)
    # s2s-train records absolute paths; the card shows them as a user of the checkout types them.
    assert shown_path(str(checkout / ".." / "shared" / "data" / "train.tsv")) == os.path.join("..", "shared", "data", "train.tsv")
    assert shown_path(str(checkout / "data" / "train.tsv")) == os.path.join("data", "train.tsv")
    assert shown_path("/elsewhere/corpus/train.tsv") == "/elsewhere/corpus/train.tsv"


def test_a_mix_group_lists_its_sources_with_their_licences(tmp_path):
    import json

    from s2s.export.data_card import mix_sources
    from s2s.runtime.bundle.model_card import _data_section

    (tmp_path / "software.tsv").write_text("Open\tOuvrir\n", encoding="utf-8")
    (tmp_path / "mix.json").write_text(json.dumps({"sources": {
        "corpora/git_l10n_enfr.tsv": {"group": "software", "in_mix": 9808, "licence": "GPL-2.0"},
        "{harvest}/gimp-data.en-fr.tsv": {"group": "software", "in_mix": 7245, "licence": "GPL-3.0-or-later"},
        "corpora/hansard_ca36.tsv": {"group": "parliament", "in_mix": 116198, "licence": "non-commercial"}}}))
    sources = mix_sources(str(tmp_path / "software.tsv"))
    assert sources == [{"source": "corpora/git_l10n_enfr.tsv", "pairs": 9808, "licence": "GPL-2.0"},
                       {"source": "debian: gimp-data.en-fr.tsv", "pairs": 7245, "licence": "GPL-3.0-or-later"}]
    assert mix_sources(str(tmp_path / "elsewhere" / "train.tsv")) is None
    card = "\n".join(_data_section({"corpora": [{"path": "software.tsv", "pairs": 17053, "domain": None,
                                                 "sources": sources}],
                                    "source_tokens": {"p50": 1, "p90": 1, "p99": 1, "max": 1},
                                    "source_words": {"p50": 1, "p90": 1, "p99": 1, "max": 1}}, {}))
    assert "from corpora/git_l10n_enfr.tsv (9,808, GPL-2.0); debian: gimp-data.en-fr.tsv (7,245, GPL-3.0-or-later)" in card
