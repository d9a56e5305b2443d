"""What every command line of the project shares: user errors as one line with exit code 2, and --version."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from ..errors import S2SRuntimeError

# Every command's click settings, one object.
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _OneLineErrors:
    """click's own usage errors ("Usage: ... Try --help ... Error: Invalid value ...", three lines
    and exit 2) as every other user mistake of the project: `PROG: error: MESSAGE` in one line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            name = exc.ctx.find_root().info_name if exc.ctx is not None else (prog_name or self.name)
            click.echo(f"{name}: error: {exc.format_message()} (see {name} --help)", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"{prog_name or self.name}: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo(f"{prog_name or self.name}: interrupted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


class Command(_OneLineErrors, click.Command):
    pass


class Group(_OneLineErrors, click.Group):
    pass


@contextmanager
def user_errors(prog: str, interrupted: str | None = "interrupted") -> Iterator[None]:
    """Report the project's own errors (`S2SRuntimeError` and its kinds) as `PROG: error: MESSAGE`
    on stderr and exit 2, and Ctrl-C as `PROG: INTERRUPTED` with exit 130 (`interrupted=None`:
    the command reports it itself). Anything else is a bug and keeps its traceback."""
    try:
        yield
    except S2SRuntimeError as exc:
        click.echo(f"{prog}: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        if interrupted is None:
            raise
        click.echo(f"{prog}: {interrupted}", err=True)
        sys.exit(130)


def version_option(prog: str):
    """`--version` for a command: the installed s2s-onnx version."""
    return click.version_option(package_name="s2s-onnx", prog_name=prog, message="%(prog)s (s2s-onnx) %(version)s")


def log_to_stderr(fmt: str, level: int = logging.INFO, datefmt: str | None = None) -> None:
    """Show the project's own log records (the "s2s" loggers) on stderr as `fmt`.

    Only the project's loggers: configuring the root logger would also print what libraries
    log at INFO, such as the statistics PyTorch writes at exit.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt, datefmt=datefmt))
    logger = logging.getLogger("s2s")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    root = logging.getLogger()
    if not root.handlers:
        # A library calling logging.basicConfig() later (onnxruntime's quantiser does) would
        # otherwise print every project record a second time, and its own INFO lines.
        root.addHandler(logging.NullHandler())


def renamed(old: str, new: str, metavar: str = "VALUE"):
    """A hidden option for a spelling that was dropped: using it is a one-line error naming the
    option that replaced it (exit 2), not click's "no such option"."""

    def refuse(ctx: click.Context, param: click.Parameter, value) -> None:
        if value is not None:
            click.echo(f"{ctx.find_root().info_name}: error: {old} was renamed: use {new}", err=True)
            ctx.exit(2)

    # A name of its own: the default one ("batch_sizes" for --batch-sizes) may be a live option's.
    name = "renamed_" + old.lstrip("-").replace("-", "_")
    return click.option(old, name, metavar=metavar, hidden=True, expose_value=False, callback=refuse)


def output_option(help: str, metavar: str = "DIR", **kwargs):
    """`-o/--output`, required; `--out`, its old spelling, is a one-line error naming it."""

    def decorate(function):
        function = renamed("--out", "-o/--output", metavar)(function)
        return click.option("-o", "--output", "out", metavar=metavar, help=help, required=True, **kwargs)(function)

    return decorate
