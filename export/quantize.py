"""int8 dynamic quantisation of the exported graphs (weights int8, activations quantised on the fly)."""

from __future__ import annotations

import logging
from pathlib import Path


def quantize_int8(source: Path, destination: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    # quantize_dynamic logs a generic "consider pre-processing" advice on the root logger for
    # every model; pre-processing (shape inference) changes nothing for these small graphs.
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(source), str(destination), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
