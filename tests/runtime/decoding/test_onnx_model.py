"""A bundle's graphs behind encode/step: sessions made on first use, and a graph that does not
match the manifest refused when it is first used."""

import numpy as np
import pytest
from s2s.runtime.bundle.contract import DECODER, ENCODER
from s2s.runtime.bundle.reader import Bundle, load_bundle
from s2s.runtime.decoding.onnx_model import OnnxSeq2Seq
from s2s.runtime.errors import BundleError


def test_sessions_are_made_when_first_used(bundle_factory):
    model = OnnxSeq2Seq(load_bundle(bundle_factory("gru", "bahdanau")))
    assert not model._sessions  # loading a Translator costs no session until it translates
    context, state = model.encode(np.array([[5, 6, 7]]), np.array([3]))
    assert set(model._sessions) == {ENCODER}
    out = model.step(np.array([1]), state, context, k=3)
    assert set(model._sessions) == {ENCODER, DECODER}
    assert out.top_ids.shape == (1, 3) and np.all(np.diff(out.top_log_probs[0]) <= 0)  # best first
    assert out.state.arrays["hidden"].shape == state.arrays["hidden"].shape


def test_a_graph_that_does_not_match_the_manifest_is_refused_when_used(bundle_factory):
    bundle = load_bundle(bundle_factory("gru", "bahdanau"))
    swapped = Bundle(bundle.manifest, bundle.origin, {**bundle.files, DECODER: bundle.files[ENCODER]})
    model = OnnxSeq2Seq(swapped)
    with pytest.raises(BundleError, match="decoder.onnx inputs are"):
        model.decoder
