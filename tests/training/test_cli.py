"""s2s-train on bad input: one clear line on stderr, exit code 2, never a traceback."""

from pathlib import Path

from click.testing import CliRunner

from s2s.training.cli import main


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    return result


def assert_user_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = result.output.strip().splitlines()[-1]
    for fragment in fragments:
        assert fragment in message, message


def test_missing_file(tmp_path):
    assert_user_error(run("--train", str(tmp_path / "nope.tsv"), "-o", str(tmp_path / "o")), "file not found", "nope.tsv")


def test_line_counts_differ(tmp_path):
    (tmp_path / "c.de").write_text("a\nb\nc\n", encoding="utf-8")
    (tmp_path / "c.en").write_text("a\nb\n", encoding="utf-8")
    assert_user_error(run("--train", str(tmp_path / "c"), "--source-lang", "de", "--target-lang", "en",
                          "-o", str(tmp_path / "o")), "c.de has 3", "c.en has 2")


def test_invalid_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_bytes("ok\tok\n".encode() + b"caf\xe9\tcaf\xc3\xa9\n")
    assert_user_error(run("--train", str(path), "-o", str(tmp_path / "o")), "bad.tsv", "line 2", "UTF-8")


def test_tsv_line_without_tab(tmp_path):
    path = tmp_path / "notab.tsv"
    path.write_text("a\tb\njust one column\n", encoding="utf-8")
    assert_user_error(run("--train", str(path), "-o", str(tmp_path / "o")), "line 2", "no tab")


def test_empty_corpus(tmp_path):
    path = tmp_path / "empty.tsv"
    path.write_text("\n \t \n", encoding="utf-8")
    assert_user_error(run("--train", str(path), "-o", str(tmp_path / "o")), "empty corpus")


def test_only_one_language_given(tmp_path):
    assert_user_error(run("--train", str(tmp_path / "x"), "--source-lang", "de", "-o", str(tmp_path / "o")),
                      "--target-lang")


def test_resume_without_a_run(tmp_path):
    assert_user_error(run("--train", "x", "-o", str(tmp_path / "o"), "--resume"), "checkpoint not found")
    assert_user_error(run("-o", str(tmp_path / "o"), "--resume"), "checkpoint not found")


def test_train_is_required_for_a_new_run(tmp_path):
    assert_user_error(run("-o", str(tmp_path / "o")), "--train is required")


def test_empty_and_long_pairs_are_skipped_and_counted(tmp_path, make_pairs):
    path = tmp_path / "t.tsv"
    pairs = make_pairs(40, seed=1)
    lines = [f"{s}\t{t}" for s, t in pairs] + ["\tonly target", "only source\t", " ".join(["one"] * 50) + "\tun"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("--train", str(path), "-o", str(tmp_path / "o"), "--max-pair-tokens", "20", "--epochs", "1",
                 "--tokenizer", "word", "--hidden-dim", "8", "--embedding-dim", "4")
    assert result.exit_code == 0, result.output
    assert "skipped: 2 empty, 1 too long" in result.output


def test_help_explains_itself():
    result = run("--help")
    assert result.exit_code == 0
    for option in ("--train", "--attention", "--teacher-forcing", "--max-minutes", "--resume"):
        assert option in result.output


def test_resume_records_its_command(tmp_path, task_data):
    import subprocess
    import sys

    from s2s.training import load_checkpoint

    script = str(Path(sys.executable).parent / "s2s-train")  # the real CLI: the command comes from argv
    out = tmp_path / "run"
    common = ["--tokenizer", "word", "--hidden-dim", "16", "--embedding-dim", "8", "--threads", "1"]
    subprocess.run([script, "--train", str(task_data["train"]), "-o", str(out), "--epochs", "1", *common],
                   check=True, capture_output=True)
    subprocess.run([script, "-o", str(out), "--resume", "--epochs", "2"], check=True, capture_output=True)
    extra = load_checkpoint(out / "checkpoint-last").train_config.extra
    assert extra["command"].startswith("s2s-train --train")
    assert extra["resume_commands"] == [f"s2s-train -o {out} --resume --epochs 2"]


def test_lr_patience_reaches_the_run(tmp_path, task_data):
    from s2s.training import load_checkpoint

    out = tmp_path / "run"
    result = run("--train", str(task_data["train"]), "-o", str(out), "--epochs", "1", "--lr-patience", "0",
                 "--tokenizer", "word", "--hidden-dim", "16", "--embedding-dim", "8", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert load_checkpoint(out / "checkpoint-last").train_config.lr_patience == 0
    assert_user_error(run("--train", "x", "-o", str(tmp_path / "o"), "--lr-patience", "-1"), "-1")


def test_the_former_name_of_the_length_filter_names_the_new_one(tmp_path):
    # Model cards record commands with --max-length; the filter is --max-pair-tokens now, and
    # --max-length is the translating commands' cap on a translation.
    result = run("--train", "x", "-o", str(tmp_path / "o"), "--max-length", "96")
    assert_user_error(result, "--max-length was renamed: use --max-pair-tokens")
    assert len(result.output.strip().splitlines()) == 1
