"""Speed measurements of the runtime: latency, throughput, cold start; and the comparison with
the PyTorch reference decoder (run in its own process: the runtime never imports torch)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from s2s.runtime.decoding.translator import Translator
from s2s.runtime.errors import InputError
from s2s.runtime.line_reader import read_sources


@dataclass
class BenchmarkResult:
    bundle: str
    precision: str
    threads: int
    latency_ms_p50: float
    latency_ms_p95: float
    throughput: dict[str, dict[str, float]] = field(default_factory=dict)  # batch size -> figures
    bleu: float | None = None


def read_sentences(path: Path) -> list[str]:
    """Source sentences: the first column of a TSV, or every line of a text file."""
    sentences = read_sources(path)
    if not any(s.strip() for s in sentences):
        raise InputError(f"{path} holds no sentences")
    return sentences


def measure(translator: Translator, sentences: list[str], batch_sizes: list[int], latency_sentences: int,
            threads: int) -> BenchmarkResult:
    translator.translate(sentences[:16])  # warm-up: first runs allocate and page in weights
    latencies = []
    for sentence in sentences[:latency_sentences]:
        started = time.perf_counter()
        translator.translate([sentence], batch_size=1)
        latencies.append(time.perf_counter() - started)
    result = BenchmarkResult(
        bundle=str(translator.bundle.origin),
        precision=translator.bundle.manifest.precision,
        threads=threads,
        latency_ms_p50=1000 * statistics.median(latencies),
        latency_ms_p95=1000 * statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else 1000 * latencies[0],
    )
    for batch_size in batch_sizes:
        started = time.perf_counter()
        outputs = translator.translate_results(sentences, batch_size=batch_size)
        seconds = time.perf_counter() - started
        result.throughput[str(batch_size)] = {
            "sentences_per_second": len(sentences) / seconds,
            "tokens_per_second": sum(len(o.hypotheses[0].tokens) for o in outputs) / seconds,
        }
    return result


# Runs the command in a fresh, small process and reports each run's wall time and peak RSS.
# Linux carries a process's peak RSS across fork+exec (the child starts with the parent's
# high-water mark), so timing the command straight from this process would report *this*
# process's size whenever it is the larger: the launcher is what keeps the figure honest.
_LAUNCHER = """
import json, os, subprocess, sys, time
command, runs = json.loads(sys.argv[1]), int(sys.argv[2])
walls, peaks = [], []
for _ in range(runs):
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    walls.append(time.perf_counter() - started)
    peaks.append(usage.ru_maxrss / 1024)
    if status != 0:
        sys.exit(process.stderr.read().decode(errors="replace").strip() or f"exit status {status}")
print(json.dumps({"walls": walls, "peaks": peaks}))
"""


def cold_start(model: Path | None, text: str = "I am a student.", runs: int = 5) -> dict:
    """Wall time and peak RSS of `s2s-translate TEXT` as a new process (median of `runs`)."""
    script = Path(sys.executable).parent / "s2s-translate"  # the installed console script, as a user runs it
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "s2s.runtime.cli.translate"]
    command = launcher + [text, "--quiet"] + (["-m", str(model)] if model else [])
    completed = subprocess.run([sys.executable, "-I", "-S", "-c", _LAUNCHER, json.dumps(command), str(runs)],
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise InputError(f"s2s-translate failed: {completed.stderr.strip()}")
    measured = json.loads(completed.stdout)
    return {"wall_seconds_p50": statistics.median(measured["walls"]),
            "peak_rss_mib_p50": statistics.median(measured["peaks"]), "runs": runs}


def site_packages_mib() -> float:
    import sysconfig

    root = Path(sysconfig.get_paths()["purelib"])
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / (1024 * 1024)
