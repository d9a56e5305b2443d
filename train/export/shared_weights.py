"""One copy of the weights for all of a bundle's graphs: weights.bin.

greedy.onnx holds the encoder's and the decoder step's weights again; stored inside each graph,
they would nearly double the bundle. Instead every initializer of at least `MIN_EXTERNAL_BYTES`
moves to weights.bin as ONNX external data (location, offset, length), each distinct tensor once,
and the graphs keep only their structure. The runtime hands weights.bin to ONNX Runtime from
memory (verified like every file of the bundle); a graph naming any other external file fails to
load. Bundles that use it are format version 2 (docs/bundle-format.md).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import onnx
from onnx import numpy_helper

from s2s.runtime.bundle.contract import WEIGHTS

MIN_EXTERNAL_BYTES = 1024  # scalars and small constants stay in their graph
_DATA_FIELDS = ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data", "string_data")


def share_weights(directory: Path, graphs: list[str]) -> dict:
    """Move the initializers of `graphs` (files in `directory`) into `directory`/weights.bin,
    each distinct tensor once -> {"tensors": placed, "distinct": stored, "bytes": size}."""
    blob = bytearray()
    placed: dict[str, tuple[int, int]] = {}  # sha256 of the bytes -> (offset, length)
    tensors = 0
    for graph in graphs:
        model = onnx.load(str(directory / graph))
        for tensor in model.graph.initializer:
            data = numpy_helper.to_array(tensor).tobytes()
            if len(data) < MIN_EXTERNAL_BYTES:
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest not in placed:
                blob += b"\0" * (-len(blob) % 64)  # aligned, as ONNX Runtime's own external data is
                placed[digest] = (len(blob), len(data))
                blob += data
            for field in _DATA_FIELDS:
                tensor.ClearField(field)
            offset, length = placed[digest]
            del tensor.external_data[:]
            for key, value in (("location", WEIGHTS), ("offset", str(offset)), ("length", str(length))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            tensor.data_location = onnx.TensorProto.EXTERNAL
            tensors += 1
        # Written as the proto stands: onnx.save would look for the external data to rewrite.
        (directory / graph).write_bytes(model.SerializeToString())
    (directory / WEIGHTS).write_bytes(bytes(blob))
    return {"tensors": tensors, "distinct": len(placed), "bytes": len(blob)}
