"""The one-call greedy graph (greedy.onnx): the step loop's output in one ONNX Runtime call."""

import itertools

import numpy as np
import pytest

from s2s.export import ExportOptions, export_bundle
from s2s.export.add_greedy import add_greedy_to_bundle
from s2s.runtime import Translator, load_bundle
from s2s.runtime.bundle.contract import DECODER, ENCODER, GREEDY, WEIGHTS
from s2s.runtime.decoding.search import pad_batch
from s2s.training.config import ATTENTIONS, CELLS

SENTENCES = ["one two three.", "nine.", "four four five six seven.", "eight zero.", "two.", "six six six six six six.",
             "seven eight nine zero one two three four five six seven eight nine zero one two."]


@pytest.mark.parametrize("cell,attention", list(itertools.product(CELLS, ATTENTIONS)))
def test_the_one_call_graph_decodes_as_the_step_loop(cell, attention, bundle_factory, tmp_path):
    bundle = bundle_factory(cell, attention)
    manifest = add_greedy_to_bundle(bundle, tmp_path / "b", SENTENCES)
    assert manifest["verification"]["one_call"]["identical"] == len(SENTENCES)
    one_call = Translator.load(tmp_path / "b")
    assert one_call.model.greedy is not None
    stepped = Translator.load(bundle)
    # Single sentences take the one-call graph; the step loop is the reference.
    for batch_size in (1, 3):
        assert one_call.translate(SENTENCES, batch_size=batch_size) == stepped.translate(SENTENCES)
    # The graph itself at any batch size (the runtime picks it for one sentence only).
    ids, lengths = pad_batch(one_call.source_tokenizer.encode_batch(SENTENCES), one_call.pad_id)
    output, emitted, _ = one_call.model.decode_greedy(ids, lengths)
    assert one_call.target_tokenizer.decode_batch([output[r, : emitted[r]].tolist() for r in range(len(SENTENCES))]) \
        == stepped.translate(SENTENCES, split_sentences=False)
    got = one_call.translate_results(SENTENCES, batch_size=1)
    want = stepped.translate_results(SENTENCES, batch_size=1)
    np.testing.assert_allclose([r.hypotheses[0].score for r in got], [r.hypotheses[0].score for r in want], atol=1e-5)


def test_export_writes_and_checks_it_with_int8(checkpoint_factory, tmp_path):
    result = export_bundle(checkpoint_factory("gru", "luong"),
                           ExportOptions(out=tmp_path / "b", quantize="int8", one_call=True, sample_size=30))
    assert result.manifest["verification"]["one_call"]["identical"] == 30
    bundle = load_bundle(tmp_path / "b")
    assert GREEDY in bundle.manifest.document["files"] and WEIGHTS in bundle.manifest.document["files"]
    assert bundle.manifest.document["format_version"] == 2
    # One copy of the weights for the three graphs: each weight of greedy.onnx is one of the others'.
    shared = result.manifest["verification"]["one_call"]["shared_weights"]
    assert shared["tensors"] == 2 * shared["distinct"] and shared["bytes"] == bundle.manifest.document["files"][WEIGHTS]["bytes"]
    translator = Translator.load(tmp_path / "b")
    reference = Translator.load(tmp_path / "b")
    reference.model.has_one_call = False  # the step loop alone
    assert translator.translate(SENTENCES, batch_size=2) == reference.translate(SENTENCES, batch_size=2)


def test_a_length_cap_or_attention_takes_the_step_loop(bundle_factory, tmp_path):
    add_greedy_to_bundle(bundle_factory("gru", "bahdanau"), tmp_path / "b", SENTENCES)
    translator = Translator.load(tmp_path / "b")
    calls = []
    original = translator.model.decode_greedy
    translator.model.decode_greedy = lambda *a: calls.append(1) or original(*a)
    translator.translate(SENTENCES, batch_size=1)
    assert calls  # one sentence at a time uses it
    calls.clear()
    capped = translator.translate(SENTENCES, batch_size=1, max_length=2)
    translator.translate_results(SENTENCES, batch_size=1, attention=True)
    translator.translate(SENTENCES, batch_size=4)  # batches of more than one: the step loop
    assert not calls and all(len(t.split()) <= 3 for t in capped)


def test_single_sentences_open_only_the_one_call_graph(bundle_factory, tmp_path):
    add_greedy_to_bundle(bundle_factory("gru", "luong"), tmp_path / "b", SENTENCES)
    translator = Translator.load(tmp_path / "b")
    assert not translator.model._sessions  # nothing opened at load
    translator.translate(SENTENCES[:1])
    assert set(translator.model._sessions) == {GREEDY}  # start-up time and memory of one graph
    translator.translate(SENTENCES, batch_size=4)
    assert set(translator.model._sessions) == {ENCODER, DECODER, GREEDY}
