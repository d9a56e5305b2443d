"""The two distributions: `s2s-onnx` (the repository root) is the runtime and carries nothing that
cannot import without PyTorch; `s2s-onnx-train` (train/) carries training, export and the tools."""

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _wheel(project: Path, tmp_path: Path) -> zipfile.ZipFile:
    # Build in a folder of the test's own: a stale build/ beside the project would be packed too.
    config = tmp_path / "build.cfg"
    config.write_text(f"[build]\nbuild_base = {tmp_path / 'build'}\n[bdist_wheel]\nbdist_dir = {tmp_path / 'bdist'}\n")
    out = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", str(project),
                    "-w", str(out)], check=True, env={**os.environ, "DIST_EXTRA_CONFIG": str(config)},
                   capture_output=True, timeout=300)
    [wheel] = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


def _packages(wheel: zipfile.ZipFile) -> set[str]:
    return {name.split("/")[1] for name in wheel.namelist() if name.startswith("s2s/")}


def test_the_runtime_distribution_holds_the_runtime_alone_and_imports_without_torch(tmp_path):
    pytest.importorskip("setuptools")
    wheel = _wheel(ROOT, tmp_path)
    assert _packages(wheel) == {"runtime", "models"}
    installed = tmp_path / "installed"
    wheel.extractall(installed)
    modules = sorted(".".join(path.relative_to(installed).with_suffix("").parts).removesuffix(".__init__")
                     for path in (installed / "s2s" / "runtime").rglob("*.py"))
    # A Python that sees the wheel and the third-party packages only (no editable s2s), with
    # torch, onnx, tokenizers and safetensors unimportable: every runtime module imports and the
    # packaged model translates.
    code = (
        "import importlib, sys\n"
        f"sys.path[:0] = [{str(installed)!r}, *{site.getsitepackages()!r}]\n"
        "for blocked in ('torch', 'onnx', 'tokenizers', 'safetensors'):\n"
        "    sys.modules[blocked] = None\n"
        f"for module in {modules!r}:\n"
        "    importlib.import_module(module)\n"
        "import importlib.util\n"
        "assert all(importlib.util.find_spec('s2s.' + name) is None for name in ('training', 'export', 'tools'))\n"
        "from s2s.runtime import Translator\n"
        "print(Translator.load().translate(['I am a student.'])[0])\n"
    )
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_the_training_distribution_holds_training_export_and_the_tools(tmp_path):
    pytest.importorskip("setuptools")
    wheel = _wheel(ROOT / "train", tmp_path)
    assert _packages(wheel) == {"training", "export", "tools"}
    metadata = next(name for name in wheel.namelist() if name.endswith("METADATA"))
    # The runtime, with the document readers that translation memories are read with.
    assert "Requires-Dist: s2s-onnx[documents]\n" in wheel.read(metadata).decode()
