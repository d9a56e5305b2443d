"""A PyTorch checkpoint with an int8 bundle's weights, for the PyTorch side of `s2s-bench --torch`
when the training checkpoint of a shipped bundle is no longer at hand.

    python recipes/bundle_to_checkpoint.py models/eng-fra -o runs/eng-fra-from-bundle

Every weight is the bundle's own, dequantised (int8 x scale; fp32 ones as they are) and mapped
back to the training model's parameters (GRU gates reordered from ONNX's z, r, h to PyTorch's
r, z, n; products transposed back); `load_state_dict(strict=True)` checks that every parameter
is covered. PyTorch then decodes with fp32 activations where the bundle quantises them per row,
so a few sentences come out differently: the script prints how many of the first 500 lines of
`--check` agree with the bundle. Only GRU models with Luong attention and one layer, the shape
of the shipped bundles, are mapped.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from tokenizers import Tokenizer as HFTokenizer

from s2s.runtime import Translator, load_bundle
from s2s.export.rewrite import unpack
from s2s.runtime.bundle.contract import DECODER, ENCODER, SOURCE_TOKENIZER, TARGET_TOKENIZER
from s2s.training import TrainConfig
from s2s.training.checkpoint import TrainerState, save_checkpoint
from s2s.training.config import ModelConfig
from s2s.training.decoding import greedy_decode
from s2s.training.model import Seq2Seq


def _tensors(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


def _dequantised(tensors: dict[str, np.ndarray], name: str) -> np.ndarray:
    """int8/uint8 `name`_quantized -> float, by its quantize_dynamic scale and zero point."""
    quantised = tensors[f"{name}_quantized"].astype(np.float32)
    return (quantised - tensors[f"{name}_zero_point"].astype(np.float32)) * tensors[f"{name}_scale"]


def _gru_gates(weight: np.ndarray) -> np.ndarray:
    """ONNX GRU gate blocks z, r, h (first axis) -> PyTorch's r, z, n."""
    z, r, h = np.split(weight, 3, axis=0)
    return np.concatenate([r, z, h], axis=0)


def _feeds_bridge(node: onnx.NodeProto, consumers: dict[str, list[onnx.NodeProto]]) -> bool:
    """Whether the product's result reaches the bridge's bias within a few nodes (Cast, Mul, Mul, Add)."""
    frontier = [node]
    for _ in range(6):
        frontier = [c for n in frontier for output in n.output for c in consumers.get(output, [])]
        if any("model.decoder.bridge_hidden.bias" in c.input for c in frontier):
            return True
    return False


def state_dict_of(bundle, work: Path) -> dict[str, torch.Tensor]:
    unpack(bundle, work)  # the graphs beside their weights.bin, for onnx.load
    encoder, decoder = onnx.load(str(work / ENCODER)), onnx.load(str(work / DECODER))
    enc, dec = _tensors(encoder), _tensors(decoder)
    state: dict[str, np.ndarray] = {
        "encoder.embedding.weight": _dequantised(enc, "model.encoder.embedding.weight"),
        "decoder.embedding.weight": _dequantised(dec, "model.decoder.embedding.weight"),
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
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in encoder.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    for node in encoder.graph.node:
        if node.op_type != "MatMulInteger":
            continue
        weight = _dequantised(enc, node.input[1].removesuffix("_quantized")).T
        name = "decoder.bridge_hidden.weight" if _feeds_bridge(node, consumers) else "decoder.attention.key_proj.weight"
        state[name] = weight
    state["decoder.bridge_hidden.bias"] = enc["model.decoder.bridge_hidden.bias"]
    for layer in ("cells.0.input_proj", "cells.0.hidden_proj", "attentional", "output"):
        state[f"decoder.{layer}.weight"] = _dequantised(dec, f"model.decoder.{layer}.weight_Transposed").T
        state[f"decoder.{layer}.bias"] = dec[f"model.decoder.{layer}.bias"]
    return {name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in state.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True, help="checkpoint directory to write")
    parser.add_argument("--check", type=Path, default=Path("../shared/data/tatoeba-eng-fra/test.tsv"))
    args = parser.parse_args()
    bundle = load_bundle(args.bundle)
    arch, decoding = bundle.manifest.document["architecture"], bundle.manifest.document["decoding"]
    if (arch["cell"], arch["attention"], arch["layers"], arch["bidirectional"]) != ("gru", "luong", 1, True):
        raise SystemExit("only one-layer bidirectional GRU bundles with Luong attention are mapped")
    config = ModelConfig(source_vocab_size=arch["source_vocab_size"], target_vocab_size=arch["target_vocab_size"],
                         cell="gru", attention="luong", layers=1, bidirectional=True,
                         embedding_dim=arch["embedding_dim"], hidden_dim=arch["hidden_dim"],
                         tie_embeddings=arch["tie_embeddings"], attentional_dim=arch["attentional_dim"],
                         length_ratio=decoding["length_ratio"], length_offset=decoding["length_offset"],
                         max_target_length=decoding["max_target_length"])
    model = Seq2Seq(config)
    with tempfile.TemporaryDirectory() as work:
        model.load_state_dict(state_dict_of(bundle, Path(work)), strict=True)
    model.eval()
    source = HFTokenizer.from_str(bundle.read(SOURCE_TOKENIZER).decode("utf-8"))
    target = HFTokenizer.from_str(bundle.read(TARGET_TOKENIZER).decode("utf-8"))
    save_checkpoint(args.output, model, TrainConfig(train=[], out=str(args.output)), TrainerState(), source, target)

    lines = [line.split("\t")[0] for line in args.check.read_text(encoding="utf-8").splitlines()[:500]]
    translator = Translator(bundle)
    ids = translator.source_tokenizer.encode_batch(lines, max_tokens=translator.max_source_length)
    with torch.inference_mode():
        decoded = greedy_decode(model, ids)
    runtime = translator.translate(lines, split_sentences=False)
    decoded = translator.target_tokenizer.decode_batch(decoded)
    same = sum(a == b for a, b in zip(decoded, runtime))
    print(f"wrote {args.output}: PyTorch greedy output identical to the bundle's for {same} of {len(lines)} "
          f"lines of {args.check}")


if __name__ == "__main__":
    main()
