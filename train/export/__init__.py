"""Export stage: checkpoint -> ONNX model bundle (encoder graph + single-step decoder graph), verified.

Names are imported on first use (see s2s.training), so `s2s-export` can report a missing extra.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ExportError": ".errors", "ExportOptions": ".exporter", "ExportResult": ".exporter", "export_bundle": ".exporter",
    "DecoderStepGraph": ".graphs", "EncoderGraph": ".graphs", "export_graphs": ".graphs",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
