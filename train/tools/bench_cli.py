"""`s2s-bench`: speed of the runtime (and of the PyTorch reference, with --torch) on a real test file."""

from __future__ import annotations

import json
import platform
import shlex
import sys
from dataclasses import asdict
from pathlib import Path

import click
from s2s.runtime.cli.command import CONTEXT_SETTINGS, Command, renamed, user_errors, version_option
from s2s.runtime.errors import InputError
from s2s.training.errors import TRAIN_INSTALL


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{model or platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()}, Python {platform.python_version()}"


@click.command(cls=Command, context_settings=CONTEXT_SETTINGS)
@version_option("s2s-bench")
@click.option("-m", "--model", "models", multiple=True, type=click.Path(path_type=Path),
              help="Bundle(s) to measure (repeat to compare, e.g. fp32 and int8) [default: the bundled model].")
@click.option("--torch", "torch_checkpoint", type=click.Path(path_type=Path),
              help="Also time the PyTorch reference greedy decoder on this checkpoint (needs the train extra).")
@click.option("-i", "--input", "test_file", type=click.Path(path_type=Path), required=True,
              help="Sentences: a text file, one a line, or a TSV (source<TAB>reference: BLEU is reported too "
                   "when sacreBLEU is installed).")
@click.option("--threads", type=click.IntRange(min=1), multiple=True, default=(1, 2), show_default=True,
              help="Threads per ONNX Runtime session; repeat to measure several.")
@click.option("--batch-size", "batch_sizes", type=click.IntRange(min=1), multiple=True, default=(16, 64, 256),
              show_default=True, help="Batch size for throughput; repeat to measure several.")
@click.option("--latency-sentences", type=click.IntRange(min=2), default=300, show_default=True,
              help="Sentences timed one at a time (batch 1).")
@click.option("--cold-start-runs", type=click.IntRange(min=0), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--markdown", type=click.Path(path_type=Path), help="Write the results as a Markdown page.")
@renamed("--file", "-i/--input", "FILE")
@renamed("--batch-sizes", "--batch-size N (repeated)", "LIST")
def main(models, torch_checkpoint, test_file, threads, batch_sizes, latency_sentences, cold_start_runs, as_json,
         markdown) -> None:
    """Measure batch-1 latency, batch throughput, cold start and peak memory of the runtime.

    \b
    Example:
      s2s-bench -i ../shared/data/tatoeba-eng-fra/test.tsv --threads 1 --threads 2
    """
    thread_counts, sizes = list(threads), list(batch_sizes)
    with user_errors("s2s-bench"):
        from s2s.runtime.decoding.translator import Translator
        from s2s.tools.evaluation import evaluate, read_test_set

        from .benchmark import cold_start, measure, read_sentences, site_packages_mib

        sentences = read_sentences(test_file)
        report: dict = {"command": shlex.join(["s2s-bench", *sys.argv[1:]]), "machine": machine(),
                        "file": str(test_file), "sentences": len(sentences), "runtime": [], "torch": []}
        for model in models or (None,):
            for count in thread_counts:
                translator = Translator.load(model, threads=count)
                result = measure(translator, sentences, sizes, latency_sentences, count)
                if (_has_sacrebleu() and "\t" in test_file.read_text(encoding="utf-8").split("\n", 1)[0]
                        and count == thread_counts[-1]):
                    sources, references = read_test_set(test_file)
                    result.bleu = evaluate(translator, sources, references, str(test_file))[0].bleu
                report["runtime"].append(asdict(result))
        if torch_checkpoint is not None:
            from s2s.training.errors import missing_train_extra

            if missing_train_extra():
                raise InputError(f"--torch needs PyTorch: {TRAIN_INSTALL}")
            from s2s.training.benchmark import measure_torch

            for count in thread_counts:
                report["torch"].append(measure_torch(torch_checkpoint, sentences, sizes, latency_sentences, count))
        if cold_start_runs:
            report["cold_start"] = cold_start(models[0] if models else None, runs=cold_start_runs)
        report["site_packages_mib"] = site_packages_mib()
    text = render_markdown(report)
    if markdown is not None:
        markdown.write_text(text, encoding="utf-8")
    click.echo(json.dumps(report, indent=2) if as_json else text)


def _has_sacrebleu() -> bool:
    """BLEU is a bonus of the benchmark: without the eval extra it measures speed alone."""
    import importlib.util

    return importlib.util.find_spec("sacrebleu") is not None


def render_markdown(report: dict) -> str:
    lines = [
        "# Performance",
        "",
        f"Machine: {report['machine']}. File: `{report['file']}` ({report['sentences']:,} sentences).",
        "",
        "Regenerate with:",
        "",
        "```",
        report["command"],
        "```",
        "",
        "## Runtime (onnxruntime) vs PyTorch reference greedy decoder" if report["torch"] else "## Runtime (onnxruntime)",
        "",
    ]
    sizes = list(report["runtime"][0]["throughput"]) if report["runtime"] else []
    header = "| decoder | threads | batch-1 p50 ms | batch-1 p95 ms | " + " | ".join(
        f"batch {b} sent/s" for b in sizes) + " | BLEU |"
    lines += [header, "|" + "---|" * (5 + len(sizes))]
    torch_by_threads = {t["threads"]: t for t in report["torch"]}
    for r in report["runtime"]:
        cells = [f"ORT {r['precision']} ({Path(r['bundle']).name})", str(r["threads"]), f"{r['latency_ms_p50']:.2f}",
                 f"{r['latency_ms_p95']:.2f}"]
        cells += [f"{r['throughput'][b]['sentences_per_second']:,.0f}" for b in sizes]
        cells.append(f"{r['bleu']:.2f}" if r.get("bleu") is not None else "")
        lines.append("| " + " | ".join(cells) + " |")
    for t in report["torch"]:
        cells = ["PyTorch eager", str(t["threads"]), f"{t['latency_ms_p50']:.2f}", f"{t['latency_ms_p95']:.2f}"]
        cells += [f"{t['throughput'].get(b, {}).get('sentences_per_second', float('nan')):,.0f}" for b in sizes]
        lines.append("| " + " | ".join(cells + [""]) + " |")
    if report["torch"]:
        lines += ["", "Speed-up of the runtime over PyTorch at the same thread count (higher is better):", "",
                  "| decoder | threads | batch-1 latency | " + " | ".join(f"batch {b}" for b in sizes) + " |",
                  "|" + "---|" * (3 + len(sizes))]
        for r in report["runtime"]:
            t = torch_by_threads.get(r["threads"])
            if t is None:
                continue
            cells = [f"ORT {r['precision']}", str(r["threads"]), f"{t['latency_ms_p50'] / r['latency_ms_p50']:.2f}x"]
            cells += [f"{r['throughput'][b]['sentences_per_second'] / t['throughput'][b]['sentences_per_second']:.2f}x"
                      for b in sizes if b in t["throughput"]]
            lines.append("| " + " | ".join(cells) + " |")
    if "cold_start" in report:
        c = report["cold_start"]
        lines += ["", f"Cold start of `s2s-translate \"I am a student.\"` as a new process: "
                      f"{c['wall_seconds_p50']:.2f} s wall, {c['peak_rss_mib_p50']:.0f} MiB peak RSS (median of {c['runs']})."]
    lines += ["", "What each speed lever bought (model shape, output head, session settings, int8): "
                  "docs/speed-levers.md in the s2s-onnx repository."]
    lines += ["", f"Installed size of this environment's site-packages: {report['site_packages_mib']:,.0f} MiB "
                  "(the runtime-only install is measured by CI: `.ci/run` prints it).", ""]
    return "\n".join(lines)
