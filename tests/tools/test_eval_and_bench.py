"""Plumbing of s2s-eval and s2s-bench (what they compute and print; not how fast)."""

import json
import shutil

import pytest
from click.testing import CliRunner

from s2s.runtime import Translator, load_bundle
from s2s.tools.bench_cli import main as bench
from s2s.tools.eval_cli import main as evaluate

PAIRS = [("one two.", "deux un."), ("three.", "trois."), ("four five six.", "six cinq quatre.")]


@pytest.fixture
def test_tsv(tmp_path):
    path = tmp_path / "test.tsv"
    path.write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS), encoding="utf-8")
    return path


def test_eval_scores_the_runtime_output(bundle_factory, test_tsv, tmp_path):
    import sacrebleu

    bundle = bundle_factory("gru", "bahdanau")
    result = CliRunner().invoke(evaluate, ["-m", str(bundle), "-i", str(test_tsv), "--json",
                                           "--output", str(tmp_path / "hyp.txt")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    hypotheses = Translator.load(bundle).translate([s for s, _ in PAIRS])
    assert (tmp_path / "hyp.txt").read_text(encoding="utf-8").splitlines() == hypotheses
    expected = sacrebleu.corpus_bleu(hypotheses, [[t for _, t in PAIRS]]).score
    assert report["bleu"] == pytest.approx(expected, abs=0.01)
    assert report["sentences"] == 3 and "tok:13a" in report["signature"] and report["chrf"] >= 0


def test_eval_source_reference_form_and_mismatch(bundle_factory, tmp_path):
    (tmp_path / "s.txt").write_text("one.\ntwo.\n", encoding="utf-8")
    (tmp_path / "r.txt").write_text("un.\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate, ["-m", str(bundle_factory("gru", "bahdanau")), "-i",
                                           str(tmp_path / "s.txt"), "--reference", str(tmp_path / "r.txt")])
    assert result.exit_code == 2 and "line counts differ" in result.output


def test_eval_record_updates_manifest_and_card(bundle_factory, test_tsv, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle_factory("gru", "bahdanau"), copy)
    result = CliRunner().invoke(evaluate, ["-m", str(copy), "-i", str(test_tsv), "--record"])
    assert result.exit_code == 0, result.output
    bundle = load_bundle(copy)  # checksums still verify
    assert bundle.manifest.document["evaluation"][0]["sentences"] == 3
    assert bundle.manifest.document["evaluation"][0]["threads"] >= 1  # the sessions' real thread count, default or not
    assert "## Evaluation" in (copy / "README.md").read_text(encoding="utf-8")


def test_eval_takes_the_length_penalty_and_records_it_beside_the_default(bundle_factory, test_tsv, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle_factory("gru", "bahdanau"), copy)
    sources = [s for s, _ in PAIRS]
    for penalty in ("1", "0"):
        result = CliRunner().invoke(evaluate, ["-m", str(copy), "-i", str(test_tsv), "--beam-size", "3",
                                               "--length-penalty", penalty, "--record", "--output",
                                               str(tmp_path / f"hyp{penalty}.txt")])
        assert result.exit_code == 0, result.output
        expected = Translator.load(copy).translate(sources, beam_size=3, length_penalty=float(penalty))
        assert (tmp_path / f"hyp{penalty}.txt").read_text(encoding="utf-8").splitlines() == expected
    assert "beam 3, length penalty 0" in result.output
    entries = load_bundle(copy).manifest.document["evaluation"]
    # Two records, the default's without the field (as every earlier record), 0 sorted first.
    assert [e.get("length_penalty") for e in entries] == [0.0, None]
    assert "beam 3, length penalty 0:" in (copy / "README.md").read_text(encoding="utf-8")


def test_bench_reports_every_measurement(bundle_factory, checkpoint_factory, test_tsv, tmp_path):
    page = tmp_path / "performance.md"
    result = CliRunner().invoke(bench, [
        "-m", str(bundle_factory("gru", "bahdanau")), "--torch", str(checkpoint_factory("gru", "bahdanau")),
        "-i", str(test_tsv), "--threads", "1", "--batch-size", "2", "--latency-sentences", "3",
        "--cold-start-runs", "1", "--json", "--markdown", str(page)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    [runtime] = report["runtime"]
    assert runtime["latency_ms_p50"] > 0 and runtime["throughput"]["2"]["sentences_per_second"] > 0
    assert runtime["bleu"] is not None
    [reference] = report["torch"]
    assert reference["threads"] == 1 and reference["throughput"]["2"]["sentences_per_second"] > 0
    assert report["cold_start"]["peak_rss_mib_p50"] > 10
    text = page.read_text(encoding="utf-8")
    assert "PyTorch eager" in text and "Speed-up" in text


def test_bench_bad_arguments(tmp_path):
    result = CliRunner().invoke(bench, ["-i", str(tmp_path / "none.tsv")])
    assert result.exit_code == 2 and "not found" in result.output
    result = CliRunner().invoke(bench, ["-i", str(tmp_path / "none.tsv"), "--threads", "x"])
    assert result.exit_code == 2


@pytest.mark.parametrize("command,old,new", [(evaluate, "--test", "-i/--input"), (evaluate, "--source", "-i/--input"),
                                             (bench, "--file", "-i/--input"), (bench, "--batch-sizes", "--batch-size")])
def test_old_option_spellings_name_the_new_ones(command, old, new, tmp_path):
    result = CliRunner().invoke(command, [old, str(tmp_path / "x"), "-i", str(tmp_path / "x")], prog_name="s2s-x")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"s2s-x: error: {old} was renamed: use {new}") and len(result.stderr.splitlines()) == 1


def test_cold_start_rss_is_the_child_own_not_the_callers(bundle_factory):
    # The caller holds ~400 MiB; the child translator needs far less. Linux passes a parent's
    # peak RSS on to a forked child, so a naive measurement would report >= 400 here.
    from s2s.tools.benchmark import cold_start

    ballast = bytearray(400 * 1024 * 1024)
    ballast[:: 4096] = b"x" * len(ballast[:: 4096])  # touch every page so it is resident
    measured = cold_start(bundle_factory("gru", "luong"), runs=1)
    assert 10 < measured["peak_rss_mib_p50"] < 300
    assert measured["wall_seconds_p50"] > 0


def test_eval_output_is_checked_before_the_work_and_never_overwrites_the_test_set(bundle_factory, test_tsv, tmp_path):
    bundle = str(bundle_factory("gru", "bahdanau"))
    before = test_tsv.read_bytes()
    for output, fragment in ((test_tsv, "is the input file"), (tmp_path / "no" / "hyp.txt", "does not exist")):
        result = CliRunner().invoke(evaluate, ["-m", bundle, "-i", str(test_tsv), "-o", str(output), "--overwrite"])
        assert result.exit_code == 2 and fragment in result.stderr and "BLEU" not in result.stdout
    assert test_tsv.read_bytes() == before
