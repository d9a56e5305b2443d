"""A PyTorch model from an exported bundle: what `s2s-train --init-from BUNDLE` continues from, and
what `s2s-bench --torch` compares with when a bundle's training checkpoint is gone.

Every weight is the bundle's own (an int8 one dequantised: int8 x scale, which loses what the
quantisation lost; float32 ones as they are), mapped back to the training model's parameters
(ONNX's GRU gates z, r, h to PyTorch's r, z, n; products transposed back); `load_state_dict(strict=True)`
checks that every parameter is covered. The tokenizers are the bundle's. The shape of the shipped
bundles is mapped: one-layer bidirectional GRU encoder-decoders with Luong attention.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

from .config import ModelConfig
from .errors import TrainingInputError
from .model import Seq2Seq

MAPPED = ("gru", "luong", 1, True)  # cell, attention, layers, bidirectional


def _tensors(model) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


def _weight(tensors: dict[str, np.ndarray], name: str) -> np.ndarray:
    """`name` as float32: dequantised by its quantize_dynamic scale and zero point when int8."""
    if f"{name}_quantized" in tensors:
        quantised = tensors[f"{name}_quantized"].astype(np.float32)
        return (quantised - tensors[f"{name}_zero_point"].astype(np.float32)) * tensors[f"{name}_scale"]
    return tensors[name].astype(np.float32)


def _gru_gates(weight: np.ndarray) -> np.ndarray:
    """ONNX GRU gate blocks z, r, h (first axis) -> PyTorch's r, z, n."""
    z, r, h = np.split(weight, 3, axis=0)
    return np.concatenate([r, z, h], axis=0)


def _feeds_bridge(node, consumers: dict[str, list]) -> bool:
    """Whether the product's result reaches the bridge's bias within a few nodes (Cast, Mul, Mul, Add)."""
    frontier = [node]
    for _ in range(6):
        frontier = [c for n in frontier for output in n.output for c in consumers.get(output, [])]
        if any("model.decoder.bridge_hidden.bias" in c.input for c in frontier):
            return True
    return False


def state_dict_of(bundle, work: Path) -> dict[str, torch.Tensor]:
    """The training model's parameters from `bundle` (a loaded, verified Bundle)."""
    import onnx
    from s2s.export.rewrite import unpack
    from s2s.runtime.bundle.contract import DECODER, ENCODER

    unpack(bundle, work)  # the graphs beside their weights.bin, for onnx.load
    encoder, decoder = onnx.load(str(work / ENCODER)), onnx.load(str(work / DECODER))
    enc, dec = _tensors(encoder), _tensors(decoder)
    state: dict[str, np.ndarray] = {
        "encoder.embedding.weight": _weight(enc, "model.encoder.embedding.weight"),
        "decoder.embedding.weight": _weight(dec, "model.decoder.embedding.weight"),
    }
    for node in encoder.graph.node:
        if node.op_type == "GRU":
            direction = "forward_layers" if "forward_layers.0" in node.name else "backward_layers"
            w, r, b = (enc[name][0] for name in node.input[1:4])
            hidden = r.shape[1]
            state[f"encoder.{direction}.0.weight_ih_l0"] = _gru_gates(w)
            state[f"encoder.{direction}.0.weight_hh_l0"] = _gru_gates(r)
            state[f"encoder.{direction}.0.bias_ih_l0"] = _gru_gates(b[: 3 * hidden])
            state[f"encoder.{direction}.0.bias_hh_l0"] = _gru_gates(b[3 * hidden:])
    # The encoder graph's two products: the bridge (its result gets the bridge's bias) and the
    # attention keys' projection (no bias).
    consumers: dict[str, list] = {}
    for node in encoder.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    for node in encoder.graph.node:
        if node.op_type not in ("MatMulInteger", "MatMul"):
            continue
        weight_name = node.input[1].removesuffix("_quantized")
        if weight_name not in enc and f"{weight_name}_quantized" not in enc:
            continue  # a product of two activations
        weight = _weight(enc, weight_name).T
        name = "decoder.bridge_hidden.weight" if _feeds_bridge(node, consumers) else "decoder.attention.key_proj.weight"
        state[name] = weight
    state["decoder.bridge_hidden.bias"] = enc["model.decoder.bridge_hidden.bias"]
    for layer in ("cells.0.input_proj", "cells.0.hidden_proj", "attentional", "output"):
        state[f"decoder.{layer}.weight"] = _weight(dec, f"model.decoder.{layer}.weight_Transposed").T
        state[f"decoder.{layer}.bias"] = dec[f"model.decoder.{layer}.bias"]
    return {name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in state.items()}


def model_from_bundle(path: str | Path) -> tuple[Seq2Seq, ModelConfig, Tokenizer, Tokenizer]:
    """(model, its config, source tokenizer, target tokenizer) of the bundle at `path`."""
    from s2s.runtime.bundle.contract import SOURCE_TOKENIZER, TARGET_TOKENIZER
    from s2s.runtime.bundle.reader import load_bundle
    from s2s.runtime.errors import S2SRuntimeError

    try:
        bundle = load_bundle(path)
    except S2SRuntimeError as exc:
        raise TrainingInputError(f"--init-from {path}: {exc}") from None
    arch, decoding = bundle.manifest.document["architecture"], bundle.manifest.document["decoding"]
    shape = (arch["cell"], arch["attention"], arch["layers"], arch["bidirectional"])
    if shape != MAPPED:
        raise TrainingInputError(f"--init-from {path}: a {arch['layers']}-layer {arch['cell']} bundle with "
                                 f"{arch['attention']} attention; only one-layer bidirectional GRU bundles with Luong "
                                 "attention are read back (continue from its training checkpoint instead)")
    config = ModelConfig(source_vocab_size=arch["source_vocab_size"], target_vocab_size=arch["target_vocab_size"],
                         cell="gru", attention="luong", layers=1, bidirectional=True,
                         embedding_dim=arch["embedding_dim"], hidden_dim=arch["hidden_dim"],
                         tie_embeddings=arch["tie_embeddings"], attentional_dim=arch["attentional_dim"],
                         length_ratio=decoding["length_ratio"], length_offset=decoding["length_offset"],
                         max_target_length=decoding["max_target_length"])
    model = Seq2Seq(config)
    with tempfile.TemporaryDirectory(prefix="s2s-init-") as work:
        model.load_state_dict(state_dict_of(bundle, Path(work)), strict=True)
    source = Tokenizer.from_str(bundle.read(SOURCE_TOKENIZER).decode("utf-8"))
    target = Tokenizer.from_str(bundle.read(TARGET_TOKENIZER).decode("utf-8"))
    return model, config, source, target
