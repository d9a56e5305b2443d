"""An int8 bundle from before per-row quantisation is made batch-invariant, weights untouched."""

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
from s2s.runtime import load_bundle


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
    assert bundle.manifest["onnx"]["activation_quantisation"] == "per-row"
    assert bundle.manifest["verification"]["int8"]["batch_invariant_sentences"] == 80
    assert "evaluation" not in bundle.manifest  # figures of the old graphs no longer hold
    assert "s2s.export.requantize" in bundle.manifest["provenance"]["requantize_command"]
    for graph in ("encoder.onnx", "decoder.onnx"):
        assert count_tensor_quantisers(onnx.load(str(out / graph))) == 0
        before, after = _int8_weights(old / graph), _int8_weights(out / graph)
        assert before.keys() == after.keys() and before
        assert all(np.array_equal(before[k], after[k]) for k in before)
    # In place, with --force, the way the shipped bundles were rewritten.
    result = CliRunner().invoke(requantize_cli, [str(old), "-o", str(old), "--force", "--sample", str(sample)])
    assert result.exit_code == 0, result.output
    assert load_bundle(old).manifest["onnx"]["activation_quantisation"] == "per-row"
