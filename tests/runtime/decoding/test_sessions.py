"""ONNX Runtime sessions: providers by device, settings, and graphs loaded from verified bytes only."""

import onnxruntime as ort
import pytest
from s2s.runtime.decoding.sessions import create_session, providers_for, session_options
from s2s.runtime.errors import BundleError, InputError


def test_providers_by_device():
    assert providers_for("cpu") == ["CPUExecutionProvider"]
    assert providers_for("auto")[-1] == "CPUExecutionProvider"
    with pytest.raises(InputError, match="unknown device 'tpu'"):
        providers_for("tpu")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(InputError, match="onnxruntime-gpu"):  # asked for, never a silent CPU run
            providers_for("cuda")


def test_sessions_neither_spin_nor_take_more_threads_than_asked():
    options = session_options(3)
    assert options.intra_op_num_threads == 3 and options.inter_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_bytes_that_are_not_a_graph_are_a_bundle_error_naming_it():
    with pytest.raises(BundleError, match="cannot load decoder.onnx"):
        create_session(b"not an onnx graph", "decoder.onnx")


def test_a_graph_naming_a_file_outside_what_it_was_given_cannot_read_it(tmp_path):
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"\x00" * 16)

    def model_with(weight):
        graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [weight])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()

    assert create_session(model_with(helper.make_tensor("w", TensorProto.FLOAT, [4], [0.0] * 4)), "inline.onnx")
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4], [0.0] * 4)
    weight.data_location = TensorProto.EXTERNAL
    del weight.float_data[:]
    for key, value in (("location", str(secret)), ("offset", "0"), ("length", "16")):
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    with pytest.raises(BundleError, match="cannot load evil.onnx: .*[Ee]xternal data"):
        create_session(model_with(weight), "evil.onnx")  # the same graph, its weight in a file beside it
