"""An int8 bundle of an earlier release (tensor-wide or per-row activation quantisers) is given the
current quantisers, weights untouched: it then computes exactly what a fresh export computes."""

import json
import shutil

import numpy as np
import onnx
from click.testing import CliRunner
from onnx import numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from s2s.export.manifest import finalise
from s2s.export.quantize import count_tensor_quantisers
from s2s.export.requantize import main as requantize_cli
from s2s.runtime import Translator, load_bundle
from s2s.runtime.bundle.contract import ACTIVATIONS_FIXED_OR_PER_ROW


def _old_style_int8(fp32_bundle, directory):
    """What the export wrote before: quantize_dynamic's tensor-wide activation quantisers."""
    shutil.copytree(fp32_bundle, directory)
    for graph in ("encoder.onnx", "decoder.onnx"):
        quantize_dynamic(str(fp32_bundle / graph), str(directory / graph), weight_type=QuantType.QInt8)
    manifest = json.loads((directory / "model.json").read_text())
    manifest["onnx"]["precision"] = "int8"
    manifest["onnx"].pop("activation_quantisation", None)
    manifest["evaluation"] = [{"test": "old.tsv", "sentences": 1, "beam_size": 1, "bleu": 1.0, "chrf": 1.0,
                               "signature": "", "chrf_signature": "", "seconds": 1.0, "sentences_per_second": 1.0,
                               "tokens_per_second": 1.0, "threads": 1, "lowercase": False, "command": "s2s-eval"}]
    finalise(directory, manifest)
    return directory


def _all_nodes(graph):
    """The nodes of `graph` and of its subgraphs (greedy.onnx decodes in a Loop)."""
    nodes = []
    for node in graph.node:
        nodes.append(node)
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                nodes += _all_nodes(attribute.g)
    return nodes


def _int8_weights(path):
    model = onnx.load(str(path))
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8}


def test_requantize_keeps_the_weights_and_removes_the_batch_dependence(bundle_factory, make_pairs, tmp_path, caplog):
    old = _old_style_int8(bundle_factory("gru", "luong"), tmp_path / "old")
    assert count_tensor_quantisers(onnx.load(str(old / "decoder.onnx"))) > 0
    sample = tmp_path / "sample.txt"
    sample.write_text("".join(s + "\n" for s, _ in make_pairs(80, seed=6)))
    out = tmp_path / "new"
    result = CliRunner().invoke(requantize_cli, [str(old), "-o", str(out), "--sample", str(sample)])
    assert result.exit_code == 0, result.output
    bundle = load_bundle(out)
    assert bundle.manifest.document["onnx"]["activation_quantisation"] == ACTIVATIONS_FIXED_OR_PER_ROW
    assert bundle.manifest.document["verification"]["int8"]["batch_invariant_sentences"] == 80
    assert bundle.manifest.document["verification"]["int8"]["activations"] == {"fixed": 5, "per_row": 0}
    assert "evaluation" not in bundle.manifest.document  # figures of the old graphs no longer hold
    assert "s2s.export.requantize" in bundle.manifest.document["provenance"]["requantize_command"]
    assert "python -m s2s.export.requantize" in (out / "README.md").read_text()  # the card says how it was made
    for graph in ("encoder.onnx", "decoder.onnx"):
        assert count_tensor_quantisers(onnx.load(str(out / graph))) == 0
        before, after = _int8_weights(old / graph), _int8_weights(out / graph)
        assert before.keys() == after.keys() and before
        assert all(np.array_equal(before[k], after[k]) for k in before)
    # quantize_dynamic gave the export the same int8 weights: the graphs now compute what it does.
    sources = [s for s, _ in make_pairs(60, seed=13)]
    assert Translator.load(out).translate(sources) == \
        Translator.load(bundle_factory("gru", "luong", quantize="int8")).translate(sources)
    # In place, with --force, the way the shipped bundles were rewritten.
    result = CliRunner().invoke(requantize_cli, [str(old), "-o", str(old), "--force", "--sample", str(sample)])
    assert result.exit_code == 0, result.output
    assert load_bundle(old).manifest.document["onnx"]["activation_quantisation"] == ACTIVATIONS_FIXED_OR_PER_ROW


def _elementwise_per_row(model):
    """What int8 exports wrote before the fused quantiser: the same per-row arithmetic as eight
    element-wise operators (Abs, ReduceMax, Mul, Max, Div, Round, Add, Cast) per activation, and
    a constant 1 for the activation scale."""
    from onnx import TensorProto, helper

    graph = model.graph
    nodes = list(graph.node)
    producers = {output: node for node in nodes for output in node.output}
    chains, dropped = {}, set()
    for node in nodes:
        if node.op_type != "QuantizeLinear" or "/row_quant/" not in node.input[1]:
            continue
        prefix = node.input[1].rsplit("/", 1)[0]
        x = producers[f"{prefix}/abs"].input[0]
        scale = producers[node.input[1]].input[0]
        last = node if "/row_quant/" not in node.output[0] else \
            next(n for n in nodes if n.op_type == "Reshape" and n.input[0] == node.output[0])
        dropped |= {id(n) for n in nodes if any(o.startswith(prefix + "/") for o in n.output)}
        dropped |= {id(producers[scale]), id(last)}
        chains[id(producers[scale])] = [
            helper.make_node("Abs", [x], [f"{prefix}/abs"]),
            helper.make_node("ReduceMax", [f"{prefix}/abs"], [f"{prefix}/max"], axes=[-1], keepdims=1),
            helper.make_node("Mul", [f"{prefix}/max", "row_quant_inv127"], [f"{prefix}/raw_scale"]),
            helper.make_node("Max", [f"{prefix}/raw_scale", "row_quant_min_scale"], [scale]),
            helper.make_node("Div", [x, scale], [f"{prefix}/scaled"]),
            helper.make_node("Round", [f"{prefix}/scaled"], [f"{prefix}/rounded"]),
            helper.make_node("Add", [f"{prefix}/rounded", "row_quant_offset"], [f"{prefix}/shifted"]),
            helper.make_node("Cast", [f"{prefix}/shifted"], [last.output[0]], to=TensorProto.UINT8),
        ]
    dropped |= {id(n) for n in nodes if any(o.startswith("row_quant/") for o in n.output)}  # the run-time 1
    kept = []
    for node in nodes:
        kept += chains.get(id(node), [])
        if id(node) not in dropped:
            for i, name in enumerate(node.input):
                if name == "row_quant/one_at_run_time":
                    node.input[i] = "row_quant_one"
            kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)
    graph.initializer.append(numpy_helper.from_array(np.array(128, dtype=np.float32), "row_quant_offset"))
    if not any(i.name == "row_quant_one" for i in graph.initializer):
        graph.initializer.append(numpy_helper.from_array(np.array(1, dtype=np.float32), "row_quant_one"))
    return len(chains)


def _per_row_release(fp32_bundle, directory, monkeypatch):
    """What the releases before the fixed scale wrote: every activation quantised per row (the
    prover of train/export/bounds.py switched off), in the element-wise form of the earliest ones."""
    from s2s.export import quantize

    _old_style_int8(fp32_bundle, directory)
    with monkeypatch.context() as patch:
        patch.setattr(quantize, "unit_bounded", lambda *args, **kwargs: set())
        for graph in ("encoder.onnx", "decoder.onnx"):
            model = onnx.load(str(directory / graph))
            quantize.quantize_activations(model)
            assert _elementwise_per_row(model) > 0
            onnx.save(model, str(directory / graph))
    manifest = json.loads((directory / "model.json").read_text())
    manifest["onnx"]["activation_quantisation"] = "per-row"
    manifest.pop("evaluation")
    finalise(directory, manifest)
    return directory


def test_requantize_rewrites_the_per_row_quantisers_of_older_bundles(bundle_factory, make_pairs, tmp_path, monkeypatch):
    from s2s.export import quantize
    from s2s.export.add_greedy import add_greedy_to_bundle

    sources = [s for s, _ in make_pairs(60, seed=12)]
    base = _per_row_release(bundle_factory("gru", "luong"), tmp_path / "base", monkeypatch)
    old = tmp_path / "old"  # as shipped before: with a one-call graph composed of those graphs
    add_greedy_to_bundle(base, old, sources)
    sample = tmp_path / "sample.txt"
    sample.write_text("".join(s + "\n" for s in sources))
    out = tmp_path / "fixed"
    result = CliRunner().invoke(requantize_cli, [str(old), "-o", str(out), "--sample", str(sample)])
    assert result.exit_code == 0, result.output
    manifest = load_bundle(out).manifest.document
    assert {"greedy.onnx", "weights.bin"} <= manifest["files"].keys()  # composed again, weights shared
    assert manifest["verification"]["int8"]["activations"] == {"fixed": 5, "per_row": 0}
    for graph in ("encoder.onnx", "decoder.onnx", "greedy.onnx"):
        nodes = _all_nodes(onnx.load(str(out / graph), load_external_data=False).graph)
        assert "QuantizeLinear" in {n.op_type for n in nodes}
        assert not [n for n in nodes if n.op_type == "Round" or any(o.endswith("/row_quant/abs") for o in n.output)]
    for graph in ("encoder.onnx", "decoder.onnx"):
        before, after = _int8_weights(old / graph), _int8_weights(out / graph)
        assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k]) for k in before)
    # What a fresh export of the same weights computes, step loop and one call alike.
    expected = Translator.load(bundle_factory("gru", "luong", quantize="int8")).translate(sources)
    rewritten = Translator.load(out)
    assert rewritten.translate(sources, batch_size=64) == expected
    assert [rewritten.translate([s])[0] for s in sources[:10]] == expected[:10]
    # A bundle already in the current form is left as it is (rewritten, same translations).
    again = tmp_path / "again"
    result = CliRunner().invoke(requantize_cli, [str(out), "-o", str(again), "--sample", str(sample)])
    assert result.exit_code == 0, result.output
    assert Translator.load(again).translate(sources, batch_size=64) == expected
    # An activation with no proved bound keeps its per-row arithmetic: with the prover off, the
    # element-wise chains become the fused per-row quantiser and every translation stays the old one.
    monkeypatch.setattr(quantize, "unit_bounded", lambda *args, **kwargs: set())
    fused = tmp_path / "fused"
    result = CliRunner().invoke(requantize_cli, [str(old), "-o", str(fused), "--sample", str(sample)])
    assert result.exit_code == 0, result.output
    assert load_bundle(fused).manifest.document["verification"]["int8"]["activations"] == {"fixed": 0, "per_row": 5}
    assert Translator.load(fused).translate(sources) == Translator.load(old).translate(sources)
