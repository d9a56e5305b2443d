"""`s2s-models`: list, install and remove the models `-m NAME` finds."""

from __future__ import annotations

from pathlib import Path

import click

from ..batch.folder_job import shown
from ..bundle.store import install, installed_models, models_dir, remove, resolve
from .command import CONTEXT_SETTINGS, Group, user_errors, version_option

PROG = "s2s-models"


@click.group(cls=Group, context_settings=CONTEXT_SETTINGS)
@version_option(PROG)
def main() -> None:
    """Models by name: `s2s-translate -m NAME` and `Translator.load("NAME")` find installed models
    from any directory, and `s2s-translate --source-lang de --target-lang en` picks the one that
    translates that pair. The folder is $S2S_MODELS_DIR, else s2s-onnx/models in the platform's
    data folder (on Linux ~/.local/share/s2s-onnx/models)."""


@main.command("list")
def list_models() -> None:
    """The bundled model and every installed one: name, languages, precision, path."""
    with user_errors(PROG):
        models = installed_models(skipped=lambda path, why: click.echo(
            f"{PROG}: warning: skipped {shown(Path(path.name[:100]))} in the model folder: {why}", err=True))
        for info in models:
            pair = f"{info.source or '?'}→{info.target or '?'}"
            click.echo(f"{info.name:<20} {pair:<8} {info.precision or '?':<5} {info.path}"
                       + ("  (bundled)" if info.bundled else ""))
        if not models:
            click.echo(f"no models installed in {models_dir()}", err=True)


@main.command("install")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--name", help="Name to install it under [default: the bundle's manifest name].")
@click.option("--force", is_flag=True, help="Replace an installed model of the same name.")
def install_model(bundle: Path, name: str | None, force: bool) -> None:
    """Verify BUNDLE (directory or .zip) and install a copy of it."""
    with user_errors(PROG):
        from ..decoding.onnx_model import OnnxSeq2Seq

        target = install(bundle, name, force, check=lambda copy: OnnxSeq2Seq(copy).check())
        click.echo(f"installed {target.name} in {target}", err=True)


@main.command("remove")
@click.argument("name")
def remove_model(name: str) -> None:
    """Remove the installed model NAME (the bundled model stays)."""
    with user_errors(PROG):
        click.echo(f"removed {remove(name)}", err=True)


@main.command("path")
@click.argument("name")
def model_path(name: str) -> None:
    """Print the folder of the model NAME (bundled or installed), for scripts."""
    with user_errors(PROG):
        click.echo(str(resolve(name).absolute()))
