"""Add the one-call greedy graph (greedy.onnx) to an existing bundle, keeping everything else.

    python -m s2s.export.add_greedy models/eng-fra -o models/eng-fra --force --sample ../shared/data/tatoeba-eng-fra/valid.tsv

The graph is composed from the bundle's own encoder and decoder (export/greedy_graph.py), so it
needs no checkpoint; it is checked token for token against the step loop on the sample, and the
copy is written only if every sentence agrees.
"""

from __future__ import annotations

import logging
import shlex
import sys
import tempfile
from pathlib import Path

import click

from s2s.runtime.bundle.reader import load_bundle
from s2s.runtime.cli.command import log_to_stderr, user_errors

from .exporter import add_greedy_graph
from .manifest import finalise
from .publish import check_output
from .rewrite import encoded_sample, publish_rewritten, read_sample, rewrite_options, unpack

log = logging.getLogger("s2s.export")


def add_greedy_to_bundle(bundle_path: Path, out: Path, sample: list[str], force: bool = False,
                         command: str | None = None) -> dict:
    """Copy the bundle at `bundle_path` to `out` with greedy.onnx added -> the new manifest."""
    check_output(out, force)
    bundle = load_bundle(bundle_path)
    manifest = bundle.manifest.editable()
    with tempfile.TemporaryDirectory(prefix="s2s-add-greedy-") as work:
        directory = Path(work)
        unpack(bundle, directory)
        manifest.setdefault("provenance", {})["one_call_command"] = command
        finalise(directory, manifest)
        sources = encoded_sample(directory, manifest, sample, "the one-call graph")
        limits = [bundle.manifest.decoding.limit(len(s)) for s in sources]
        manifest["verification"]["one_call"] = add_greedy_graph(directory, sources, limits)
        manifest = publish_rewritten(directory, manifest, out)
    return manifest


@rewrite_options("the one-call graph (against the step loop)")
def main(bundle: Path, out: Path, force: bool, sample_path: Path, sample_size: int) -> None:
    """Add greedy.onnx, the whole greedy decode in one graph, to a copy of BUNDLE."""
    log_to_stderr("%(message)s")
    with user_errors("s2s.export.add_greedy"):
        manifest = add_greedy_to_bundle(bundle, out, read_sample(sample_path, sample_size), force,
                                        shlex.join(["python", "-m", "s2s.export.add_greedy", *sys.argv[1:]]))
    checked = manifest["verification"]["one_call"]["identical"]
    click.echo(f"wrote {out}: greedy.onnx identical to the step loop on {checked} sentences", err=True)


if __name__ == "__main__":
    main()
