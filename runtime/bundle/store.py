"""Models by name: the bundled model and bundles installed for later use.

`s2s-models install BUNDLE` copies a verified bundle into the user's model folder ($S2S_MODELS_DIR,
else s2s-onnx/models in the platform's data folder: $XDG_DATA_HOME or ~/.local/share on Linux,
~/Library/Application Support on macOS, %LOCALAPPDATA% on Windows) under its manifest name;
`-m NAME` (or `Translator.load("NAME")`) then finds it from any directory, and a language pair
picks the one installed model that translates it.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..atomic import replace_directory
from ..errors import BundleError, InputError
from .contract import MANIFEST
from .manifest import Manifest, serialise
from .reader import Bundle, load_bundle


MODELS_ENV = "S2S_MODELS_DIR"
DEFAULT_MODEL = "eng-fra"


def default_bundle_path() -> Path:
    """The English->French bundle shipped with the package."""
    from importlib.resources import files

    return Path(str(files("s2s.models") / DEFAULT_MODEL))


def models_dir() -> Path:
    """The folder of installed models."""
    if os.environ.get(MODELS_ENV):
        return Path(os.environ[MODELS_ENV])
    if sys.platform == "win32":
        data = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        data = Path.home() / "Library" / "Application Support"
    else:
        data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "s2s-onnx" / "models"


@dataclass
class ModelInfo:
    name: str
    path: Path
    source: str | None
    target: str | None
    precision: str | None
    bundled: bool


def _info(path: Path, bundled: bool, skipped: Callable[[Path, str], None] | None) -> ModelInfo | None:
    """What the folder's manifest says; None for a folder that is no bundle or a damaged one (told
    to `skipped`), so that one bad folder never hides the others."""
    try:
        manifest = Manifest.read(path)
    except (BundleError, OSError, ValueError) as exc:
        if skipped is not None:
            skipped(path, str(exc).splitlines()[0][:200])
        return None  # `load_bundle` says why in full when it is used by name
    return ModelInfo(path.name, path, manifest.source_language, manifest.target_language, manifest.precision, bundled)


def installed_models(skipped: Callable[[Path, str], None] | None = None) -> list[ModelInfo]:
    """The bundled model, then every bundle in the user's model folder (by name); `skipped` hears
    of each folder that could not be read as a bundle, and why."""
    models = []
    bundled = default_bundle_path()
    if (bundled / MANIFEST).is_file():
        models.append(_info(bundled, True, skipped))
    folder = models_dir()
    if folder.is_dir():
        # Names starting with a dot are an install's work folders, never models.
        models += [_info(p, False, skipped) for p in sorted(folder.iterdir())
                   if not p.name.startswith(".") and (p / MANIFEST).is_file()]
    return [m for m in models if m is not None]


def looks_like_path(model: str | Path) -> bool:
    """A path says so: a separator, a leading dot or tilde, or a .zip; anything else is a name."""
    text = str(model)
    return isinstance(model, Path) or "/" in text or os.sep in text or text.startswith((".", "~")) \
        or text.lower().endswith(".zip")


def resolve(model: str | Path | None) -> Path:
    """A bundle path for `model`: None (the bundled model), a path, or an installed model's name.

    A bare name (no separator) is a model name first; a file or folder of that name in the
    working directory is used only when no model has the name, and when both exist the choice is
    refused rather than made silently (write ./NAME for the folder)."""
    if model is None:
        path = default_bundle_path()
        if not (path / MANIFEST).exists():
            raise BundleError("no default model is installed with this package; pass a bundle path (-m BUNDLE)")
        return path
    path = Path(model).expanduser()
    if looks_like_path(model):
        if path.exists():
            return path
        raise BundleError(f"model bundle not found: {model}")
    text = str(model)
    named = [info.path for info in installed_models() if info.name == text]
    folder = models_dir() / text
    if not named and not text.startswith(".") and (folder / MANIFEST).is_file():
        named = [folder]  # installed but unreadable: loading it says why, in one line
    if named and path.exists():
        raise InputError(f"{text} is both a model's name ({named[0]}) and a path here: write ./{text} for the path, "
                         "or run from another folder")
    if named:
        return named[0]
    if path.exists():
        return path
    names = ", ".join(m.name for m in installed_models()) or "none"
    raise BundleError(f"model bundle not found: {text} (not a path, nor an installed model: {names}; "
                      "s2s-models install BUNDLE adds one)")


def pick_model(model: str | Path | None, source_lang: str | None = None,
               target_lang: str | None = None) -> str | Path | None:
    """`model` when given; else the one model (bundled or installed) that translates
    `source_lang` into `target_lang` (either may be left out); else None, the bundled model."""
    if model is not None or (source_lang is None and target_lang is None):
        return model
    models = installed_models()
    matches = [m for m in models if source_lang in (None, m.source) and target_lang in (None, m.target)]
    pair = f"{source_lang or 'any'}→{target_lang or 'any'}"
    if not matches:
        have = ", ".join(f"{m.name} ({m.source}→{m.target})" for m in models) or "none"
        raise BundleError(f"no installed model translates {pair} (installed: {have}; s2s-models install BUNDLE adds one)")
    if len(matches) > 1:
        raise InputError(f"several models translate {pair}: {', '.join(m.name for m in matches)}; choose one with -m NAME")
    return matches[0].path


MAX_NAME_CHARS = 100


def check_name(name: object) -> str:
    """A model name is a name, never a path: letters, digits and . _ - only, not starting with a dot."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", name) \
            or len(name) > MAX_NAME_CHARS:
        shown = repr(name)[:60]
        raise InputError(f"invalid model name {shown}: use up to {MAX_NAME_CHARS} letters, digits, '.', '_' or '-', "
                         "not starting with '.'")
    return name


def pick_route(source_lang: str, target_lang: str) -> list[Path]:
    """The installed models that translate `source_lang` into `target_lang`: one model, or two
    through a third language (English first when several would do) when no model does it directly.
    The picture a user gets: Argos Translate's pivot."""
    models = installed_models()
    direct = [m for m in models if (m.source, m.target) == (source_lang, target_lang)]
    if len(direct) > 1:
        raise InputError(f"several models translate {source_lang}→{target_lang}: "
                         f"{', '.join(m.name for m in direct)}; choose one with -m NAME")
    if direct:
        return [direct[0].path]
    routes = [(first, second) for first in models for second in models
              if first.source == source_lang and first.target == second.source and second.target == target_lang
              and first.target not in (None, source_lang, target_lang)]
    if not routes:
        have = ", ".join(f"{m.name} ({m.source}→{m.target})" for m in models) or "none"
        raise BundleError(f"no installed model translates {source_lang}→{target_lang}, directly or through another "
                          f"language (installed: {have}; s2s-models install BUNDLE adds one)")
    pivots = sorted({first.target for first, _ in routes}, key=lambda language: (language != "en", language))
    chosen = [(first, second) for first, second in routes if first.target == pivots[0]]
    if len(chosen) > 1:
        names = ", ".join(f"{a.name} + {b.name}" for a, b in chosen)
        raise InputError(f"several routes translate {source_lang}→{target_lang} through {pivots[0]}: {names}; "
                         "choose with -m")
    return [chosen[0][0].path, chosen[0][1].path]


def install(bundle: Path, name: str | None = None, force: bool = False,
            check: Callable[[Bundle], None] | None = None) -> Path:
    """Verify `bundle` (directory or .zip) and copy it into the model folder as NAME. `check`
    (the decoding layer's load check: every graph opened and matched to the manifest) runs on the
    verified copy before it is published, so a bundle that cannot translate is never installed."""
    loaded = load_bundle(bundle)
    name = check_name(name or loaded.manifest.name or Path(bundle).stem)
    if name == default_bundle_path().name and (default_bundle_path() / MANIFEST).is_file():
        raise InputError(f"{name} is the name of the model packaged with s2s-onnx; install this one under another "
                         "name (--name)")
    folder = models_dir()
    target = folder / name
    if target.exists() and not force:
        raise InputError(f"a model named {name} is installed already ({target}); --force replaces it")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # S2S_MODELS_DIR is a file, or below one, or not writable
        raise InputError(f"cannot use the model folder {folder}: {exc.strerror}") from None
    remove_leftovers(folder)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.installing-{os.getpid()}-", dir=folder))
    try:
        for file_name, data in loaded.files.items():
            (staging / file_name).write_bytes(data)
        (staging / MANIFEST).write_text(serialise(loaded.manifest.document), encoding="utf-8")
        copy = load_bundle(staging)  # the copy verifies
        if check is not None:
            check(copy)
        os.chmod(staging, 0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    replace_directory(staging, target, aside=Path(tempfile.mkdtemp(prefix=f".{name}.old-{os.getpid()}-", dir=folder)))
    return target


def remove_leftovers(folder: Path) -> None:
    """Delete the work folders of installs that were killed (their process is gone): a kill -9
    during `install --force` left full copies of a model behind."""
    for path in folder.glob(".*.*-*-*"):
        match = re.fullmatch(r"\..+\.(?:installing|old)-(\d+)-.+", path.name)
        if match and path.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove(name: str) -> Path:
    target = models_dir() / check_name(name)
    if not (target / MANIFEST).is_file():
        if name == default_bundle_path().name and (default_bundle_path() / MANIFEST).is_file():
            raise InputError(f"{name} is the model packaged with s2s-onnx; it cannot be removed (uninstall the "
                             "package to drop it)")
        raise InputError(f"no installed model named {name} in {models_dir()}")
    shutil.rmtree(target)
    return target
