"""Translation through a third language when no installed model translates X→Y directly."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from s2s.runtime import Translator
from s2s.runtime.cli.translate import main as translate_cli
from s2s.runtime.errors import BundleError, InputError
from s2s.runtime.bundle.store import install
from s2s.runtime.decoding.pivot import PivotTranslator


def _as_pair(bundle, tmp_path, source: str, target: str):
    """A copy of a tiny bundle that says it translates source→target (the manifest's languages
    are not among the checksummed files)."""
    copy = tmp_path / f"{source}-{target}"
    shutil.copytree(bundle, copy)
    manifest = json.loads((copy / "model.json").read_text(encoding="utf-8"))
    manifest["languages"] = {"source": source, "target": target}
    (copy / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    return copy


@pytest.fixture
def store(bundle_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("S2S_MODELS_DIR", str(tmp_path / "models"))
    first, second = bundle_factory("gru", "bahdanau"), bundle_factory("gru", "luong")
    install(_as_pair(first, tmp_path, "de", "en"), name="de-en")
    install(_as_pair(second, tmp_path, "en", "xx"), name="en-xx")
    return first, second


def test_two_models_chain_through_the_language_they_share(store, caplog):
    first, second = store
    with caplog.at_level("WARNING", logger="s2s"):
        translator = Translator.load(source_lang="de", target_lang="xx")
    assert isinstance(translator, PivotTranslator) and translator.pivot_language == "en"
    assert "through en" in caplog.text
    texts = ["one two three .", "four five ."]
    middle = Translator.load(first).translate(texts)
    assert translator.translate(texts) == Translator.load(second).translate(middle)
    results = translator.translate_results(texts, beam_size=3, n_best=2)
    assert [r.pivot for r in results] == middle and [r.source for r in results] == texts
    assert all(len(r.hypotheses) == 2 for r in results)
    with pytest.raises(InputError, match="pivot"):
        translator.translate_results(texts, attention=True)


def test_a_direct_model_wins_and_a_missing_route_is_one_line(store, bundle_factory, tmp_path):
    assert not isinstance(Translator.load(source_lang="de", target_lang="en"), PivotTranslator)
    with pytest.raises(BundleError, match="directly or through another language"):
        Translator.load(source_lang="xx", target_lang="de")


def test_the_cli_says_once_that_it_goes_through_a_pivot(store):
    result = CliRunner().invoke(translate_cli, ["--source-lang", "de", "--target-lang", "xx", "one two .", "three ."])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("translating through en") == 1 and len(result.stdout.splitlines()) == 2
    workers = CliRunner().invoke(translate_cli, ["--source-lang", "de", "--target-lang", "xx", "--workers", "2", "x"])
    assert workers.exit_code == 2 and "one process" in workers.stderr
