"""Export stage: checkpoint -> ONNX model bundle (encoder graph + single-step decoder graph), verified."""

from .errors import ExportError
from .exporter import ExportOptions, ExportResult, export_bundle
from .graphs import DecoderStepGraph, EncoderGraph, export_graphs

__all__ = ["DecoderStepGraph", "EncoderGraph", "ExportError", "ExportOptions", "ExportResult", "export_bundle",
           "export_graphs"]
