"""Batch translation throughput: a file against stdin, 1 worker against 2, and peak memory.

    python recipes/batch_bench.py --lines 200000 --model models/eng-fra

Builds an input of --lines sentences (the Tatoeba English sources, repeated), runs
`s2s-translate` on it each way as a fresh process, checks that every run wrote the same bytes,
and prints a Markdown table (sentences/s, wall time, peak RSS of the largest process).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path


def _peak_rss_mib_of(command: list[str], stdin_path: Path | None) -> tuple[float, float]:
    """Run `command` in a fresh child; -> (wall seconds, peak RSS MiB of its largest process)."""
    code = ("import resource, subprocess, sys, time; "
            "stdin = open(sys.argv[1], 'rb') if sys.argv[1] != '-' else None; "
            "t = time.perf_counter(); subprocess.run(sys.argv[2:], stdin=stdin, check=True); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, str(stdin_path) if stdin_path else "-", *command],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--model", default="models/eng-fra")
    parser.add_argument("--source", default="../shared/data/tatoeba-eng-fra/test.tsv")
    args = parser.parse_args()
    sources = [line.split("\t")[0] for line in Path(args.source).read_text(encoding="utf-8").splitlines()]
    script = Path(sys.executable).parent / "s2s-translate"
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        source = work_dir / "in.txt"
        with open(source, "w", encoding="utf-8") as handle:
            for i in range(args.lines):
                handle.write(sources[i % len(sources)] + "\n")
        runs = {
            "file, 1 worker (2 threads)": ([str(script), "-m", args.model, "-i", str(source), "-q"], None),
            "stdin, 1 worker (2 threads)": ([str(script), "-m", args.model, "-q"], source),
            "file, 2 workers (1 thread each)": ([str(script), "-m", args.model, "-i", str(source), "-q", "--workers", "2",
                                                 "--threads", "1"], None),
        }
        rows, digests = [], set()
        for name, (command, stdin_path) in runs.items():
            out = work_dir / f"out-{len(rows)}.txt"
            seconds, rss = _peak_rss_mib_of([*command, "-o", str(out)], stdin_path)
            digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
            rows.append(f"| {name} | {args.lines / seconds:,.0f} | {seconds:.1f} | {rss:.0f} |")
    print(f"{args.lines:,} lines, model {args.model}; outputs identical: {len(digests) == 1}\n")
    print("| run | sentences/s | wall s | peak RSS MiB (largest process) |\n|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
