#!/usr/bin/env bash
# Build s2s-desktop as one folder (PyInstaller --onedir): the Python runtime of s2s-onnx with its
# packaged English->French model, onnxruntime and Tkinter; no PyTorch. From a fresh virtual
# environment, so nothing but the runtime install goes in.
#   bash hosts/desktop/build.sh [DIST_DIR]     # -> DIST_DIR/s2s-desktop/s2s-desktop
# Then: DIST_DIR/s2s-desktop/s2s-desktop --self-test
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="$(mkdir -p "${1:-$ROOT/hosts/desktop/dist}" && cd "${1:-$ROOT/hosts/desktop/dist}" && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m venv "$WORK/venv"
source "$WORK/venv/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip install -q "$ROOT" "pyinstaller>=6.10"
if python -c "import torch" 2>/dev/null; then echo "torch found in the build environment" >&2; exit 1; fi
# onnxruntime's shared libraries come with pyinstaller-hooks-contrib's hook; the model bundle is
# package data of s2s.models (found through importlib.resources at run time, as when installed).
pyinstaller --noconfirm --clean --onedir --name s2s-desktop \
  --distpath "$DIST" --workpath "$WORK/build" --specpath "$WORK" \
  --paths "$ROOT/hosts/desktop" --collect-data s2s.models --hidden-import s2s_desktop.worker \
  --exclude-module torch --exclude-module matplotlib --exclude-module tokenizers \
  "$ROOT/hosts/desktop/s2s-desktop.py" >"$WORK/pyinstaller.log" 2>&1 || { tail -30 "$WORK/pyinstaller.log"; exit 1; }
echo "built $DIST/s2s-desktop: $(du -sm "$DIST/s2s-desktop" | cut -f1) MB"
