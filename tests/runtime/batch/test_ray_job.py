"""Batch translation on a real local Ray instance: the Ray Data callable and `s2s-translate --ray`
give the local runtime's output, byte for byte, and resume at file granularity."""

import pytest
from click.testing import CliRunner

from s2s.runtime import Translator
from s2s.runtime.cli.translate import main

ray = pytest.importorskip("ray", reason="the ray extra (in dev) provides Ray")  # dev installs it: runs in CI


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def bundle(bundle_factory):
    return bundle_factory("gru", "luong", quantize="int8")


@pytest.fixture(scope="module")
def lines(make_pairs):
    texts = [s for s, _ in make_pairs(300, seed=21, min_len=1, max_len=9)]
    texts[5] = ""
    return texts


@pytest.mark.slow
def test_map_batches_translates_like_the_runtime(cluster, bundle, lines):
    from s2s.runtime.batch.ray_job import TranslateBatch

    ray.data.DataContext.get_current().execution_options.preserve_order = True
    dataset = ray.data.from_items([{"text": t} for t in lines], override_num_blocks=3)
    rows = dataset.map_batches(TranslateBatch, fn_constructor_kwargs={"model": str(bundle)},
                               compute=ray.data.ActorPoolStrategy(size=2),
                               batch_size=64, batch_format="numpy").take_all()
    assert [r["text"] for r in rows] == lines
    assert [r["translation"] for r in rows] == Translator.load(bundle).translate(lines)


@pytest.mark.slow
def test_cli_on_ray_writes_the_local_bytes_and_resumes_by_file(cluster, bundle, lines, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("".join(t + "\n" for t in lines[:200]), encoding="utf-8")
    (source / "b.txt").write_text("".join(t + "\n" for t in lines[200:]), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["-m", str(bundle), "--ray", "local", "-i", str(source), "-o", str(tmp_path / "out"),
                                  "--workers", "2", "-q"])
    assert result.exit_code == 0, result.output
    for name in ("a.txt", "b.txt"):
        local = tmp_path / f"local-{name}"
        assert runner.invoke(main, ["-m", str(bundle), "-i", str(source / name), "-o", str(local), "-q"]).exit_code == 0
        assert (tmp_path / "out" / name).read_bytes() == local.read_bytes()
    # An interrupted job: b.txt never finished, a.txt did (outputs appear only complete).
    (tmp_path / "out" / "b.txt").unlink()
    (tmp_path / "out" / "a.txt").write_text("finished earlier\n")
    again = runner.invoke(main, ["-m", str(bundle), "--ray", "local", "-i", str(source), "-o", str(tmp_path / "out")])
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    resumed = runner.invoke(main, ["-m", str(bundle), "--ray", "local", "-i", str(source), "-o", str(tmp_path / "out"),
                                   "--resume", "-q"])
    assert resumed.exit_code == 0, resumed.output
    assert (tmp_path / "out" / "a.txt").read_text() == "finished earlier\n"
    assert (tmp_path / "out" / "b.txt").read_bytes() == (tmp_path / "local-b.txt").read_bytes()


def test_every_actor_gets_blocks_of_a_single_file():
    from s2s.runtime.batch.ray_job import block_layout

    assert block_layout(10, actors=2, rows_per_block=1024) == (2, 5)  # one small file: both actors work
    assert block_layout(3000, actors=2, rows_per_block=1024) == (3, 1000)
    assert block_layout(1, actors=8, rows_per_block=1024) == (1, 1)
    assert block_layout(100_000, actors=4, rows_per_block=1024)[0] == 98


@pytest.mark.parametrize("address,fragment", [("127.0.0.1:1", "cannot reach"), ("nonsense", "HOST:PORT")])
def test_bad_addresses_are_one_line(bundle, tmp_path, address, fragment):
    (tmp_path / "in.txt").write_text("one.\n")
    result = CliRunner().invoke(main, ["-m", str(bundle), "--ray", address, "-i", str(tmp_path / "in.txt"),
                                       "-o", str(tmp_path / "out.txt")])
    assert result.exit_code == 2 and fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_driver_holds_one_chunk_of_a_file_at_a_time(cluster, bundle, lines, tmp_path, monkeypatch):
    from s2s.runtime.batch import ray_job

    chunks = []
    translate_lines = ray_job._translate_lines

    def recorded(chunk, job):
        chunks.append(len(chunk))
        return translate_lines(chunk, job)

    monkeypatch.setattr(ray_job, "RAY_CHUNK_LINES", 64)
    monkeypatch.setattr(ray_job, "_translate_lines", recorded)
    source = tmp_path / "in.txt"
    source.write_text("".join(t + "\n" for t in lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["-m", str(bundle), "--ray", "local", "-i", str(source), "-o",
                                       str(tmp_path / "out.txt"), "--workers", "2", "-q"])
    assert result.exit_code == 0, result.output
    assert chunks == [64, 64, 64, 64, 44]  # never the whole file: the driver's memory is one chunk's
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "".join(
        t + "\n" for t in Translator.load(bundle).translate(lines))


@pytest.mark.slow
def test_quiet_ray_prints_nothing(bundle, lines, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    source = tmp_path / "in.txt"
    source.write_text("".join(t + "\n" for t in lines[:40]), encoding="utf-8")
    script = Path(sys.executable).parent / "s2s-translate"  # a process of its own: it starts its own Ray
    done = subprocess.run([str(script), "-m", str(bundle), "--ray", "local", "-i", str(source), "-o",
                           str(tmp_path / "out.txt"), "--workers", "2", "-q"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""  # not Ray's token notice, warnings or C++ log lines
    assert len((tmp_path / "out.txt").read_text(encoding="utf-8").splitlines()) == 40
