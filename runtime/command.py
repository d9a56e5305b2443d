"""What every command line of the project shares: user errors as one line with exit code 2, and --version."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from .errors import S2SRuntimeError


@contextmanager
def user_errors(prog: str, *kinds: type[BaseException]) -> Iterator[None]:
    """Report the project's own error types (the runtime's, plus `kinds`) as `PROG: error: MESSAGE`
    on stderr and exit 2. Anything else is a bug and keeps its traceback."""
    try:
        yield
    except (S2SRuntimeError, *kinds) as exc:
        click.echo(f"{prog}: error: {exc}", err=True)
        sys.exit(2)


def version_option(prog: str):
    """`--version` for a command: the installed s2s-onnx version."""
    return click.version_option(package_name="s2s-onnx", prog_name=prog, message="%(prog)s (s2s-onnx) %(version)s")
