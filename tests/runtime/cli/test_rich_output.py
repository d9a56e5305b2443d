"""s2s-translate --format jsonl, --n-best, --alignment and --plot-attention."""

import json

import numpy as np
from click.testing import CliRunner
from matplotlib import image

from s2s.runtime import Translator
from s2s.runtime.cli.translate import main

LINES = ["one two three.", "four five. six!", "", "seven."]


def test_jsonl_lines_carry_the_n_best_hypotheses_with_tokens_and_scores(bundle_factory, tmp_path):
    bundle = bundle_factory("gru", "luong")
    source = tmp_path / "in.txt"
    source.write_text("".join(line + "\n" for line in LINES), encoding="utf-8")
    result = CliRunner().invoke(main, ["-m", str(bundle), "-i", str(source), "--format", "jsonl", "--beam-size", "3",
                                       "--n-best", "2", "-q"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    expected = Translator.load(bundle).translate_results(LINES, beam_size=3, n_best=2)
    assert [r["source"] for r in records] == LINES
    for record, reference in zip(records, expected):
        assert record["source_tokens"] == reference.source_tokens
        assert [h["text"] for h in record["n_best"]] == [h.text for h in reference.hypotheses]
        assert [h["tokens"] for h in record["n_best"]] == [h.tokens for h in reference.hypotheses]
        assert [h["score"] for h in record["n_best"]] == [round(h.score, 4) for h in reference.hypotheses]
        assert "alignment" not in record["n_best"][0]
    assert [r["n_best"][0]["text"] for r in records] == Translator.load(bundle).translate(LINES, beam_size=3)
    assert len(records[0]["n_best"]) == 2 and records[2]["n_best"] == [{"text": "", "tokens": [], "score": 0.0}]


def test_alignment_argmax_and_full(bundle_factory):
    bundle = bundle_factory("gru", "bahdanau")
    [reference] = Translator.load(bundle).translate_results(["one two three."], attention=True)
    best = reference.hypotheses[0]
    argmax = CliRunner().invoke(main, ["-m", str(bundle), "--format", "jsonl", "--alignment", "argmax", "one two three."])
    [hypothesis] = json.loads(argmax.stdout)["n_best"]
    assert hypothesis["alignment"] == best.alignment() and "attention" not in hypothesis
    assert all(0 <= i < len(reference.source_tokens) for i in hypothesis["alignment"])
    full = CliRunner().invoke(main, ["-m", str(bundle), "--format", "jsonl", "--alignment", "full", "one two three."])
    [hypothesis] = json.loads(full.stdout)["n_best"]
    weights = np.array(hypothesis["attention"])
    assert weights.shape == (len(best.tokens), len(reference.source_tokens))
    np.testing.assert_allclose(weights, best.attention[: len(best.tokens)], atol=1e-4)


def test_rich_options_need_jsonl_and_attention(bundle_factory):
    runner = CliRunner()
    for args in (["--n-best", "2", "--beam-size", "2"], ["--alignment", "argmax"]):
        result = runner.invoke(main, ["-m", str(bundle_factory("gru", "luong")), *args, "one."])
        assert result.exit_code == 2 and result.stderr.strip() == "s2s-translate: error: --n-best and --alignment need --format jsonl"
    result = runner.invoke(main, ["-m", str(bundle_factory("gru", "luong")), "--format", "jsonl", "--n-best", "3", "one."])
    assert result.exit_code == 2 and "n-best must be between 1 and the beam size (1)" in result.stderr
    result = runner.invoke(main, ["-m", str(bundle_factory("gru", "none")), "--format", "jsonl", "--alignment", "full", "one."])
    assert result.exit_code == 2 and "has no attention" in result.stderr


def test_one_attention_picture_per_line(bundle_factory, tmp_path):
    bundle, pictures = bundle_factory("gru", "luong"), tmp_path / "attention"
    source, out = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("one two three.\n\nfour five six seven.\n", encoding="utf-8")
    args = ["-m", str(bundle), "-i", str(source), "-o", str(out), "--plot-attention", str(pictures), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in pictures.iterdir()) == ["line-000001.png", "line-000003.png"]  # none for a blank
    [translation] = Translator.load(bundle).translate_results(["four five six seven."], attention=True)
    picture = image.imread(pictures / "line-000003.png")
    # Labelled axes around the heat-map: wider than tall for 5 source tokens and a short output.
    assert picture.shape[1] > 200 and picture.shape[0] > 150
    assert (picture[..., :3] < 0.5).any()  # dark cells: some attention weight near 1
    assert out.read_text(encoding="utf-8").splitlines()[2] == translation.text
    again = CliRunner().invoke(main, [*args, "--overwrite"])
    assert again.exit_code == 0
    (tmp_path / "out2.txt").unlink(missing_ok=True)
    refused = CliRunner().invoke(main, [*args[:4], "-o", str(tmp_path / "out2.txt"), "--plot-attention", str(pictures)])
    assert refused.exit_code == 2 and "already holds attention pictures" in refused.stderr
