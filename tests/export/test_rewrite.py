"""What every bundle-rewriting command (requantize, add_greedy) shares: unpack the verified files,
rewrite the step graphs, check on a sample, publish a bundle that verifies."""

import onnx
import pytest

from s2s.export.add_greedy import add_greedy_to_bundle
from s2s.export.errors import ExportError
from s2s.export.rewrite import encoded_sample, publish_rewritten, read_sample, rewrite_step_graphs, unpack
from s2s.runtime import Translator, load_bundle
from s2s.runtime.bundle.contract import DECODER, ENCODER, GREEDY, MANIFEST, MODEL_CARD, WEIGHTS

SENTENCES = ["one two three.", "nine.", "four four five six seven.", "eight zero."]


@pytest.fixture(scope="module")
def one_call_bundle(bundle_factory, tmp_path_factory):
    out = tmp_path_factory.mktemp("rewrite") / "one-call"
    add_greedy_to_bundle(bundle_factory("gru", "luong"), out, SENTENCES)
    return out


def test_unpack_writes_the_verified_files_but_manifest_and_card(one_call_bundle, tmp_path):
    bundle = load_bundle(one_call_bundle)
    unpack(bundle, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == set(bundle.manifest.files) - {MODEL_CARD}
    for name in bundle.manifest.files:
        if name != MODEL_CARD:
            assert (tmp_path / name).read_bytes() == (one_call_bundle / name).read_bytes()
    assert not (tmp_path / MANIFEST).exists()


def test_rewriting_the_step_graphs_drops_the_one_call_graph_for_composing_again(one_call_bundle, tmp_path):
    bundle = load_bundle(one_call_bundle)
    unpack(bundle, tmp_path)
    seen = []

    def transform(model: onnx.ModelProto) -> int:
        seen.append(len(model.graph.initializer))
        return 1

    total, one_call = rewrite_step_graphs(tmp_path, bundle.manifest.editable(), transform)
    assert (total, one_call) == (2, True)
    assert all(count > 0 for count in seen)  # the graphs came with their weights read back in
    assert not (tmp_path / GREEDY).exists() and not (tmp_path / WEIGHTS).exists()
    for graph in (ENCODER, DECODER):
        onnx.checker.check_model(onnx.load(str(tmp_path / graph)))  # whole, weights inline


def test_a_rewrite_that_breaks_a_graph_is_refused(bundle_factory, tmp_path):
    bundle = load_bundle(bundle_factory("gru", "luong"))
    unpack(bundle, tmp_path)

    def break_it(model: onnx.ModelProto) -> int:
        model.graph.node[0].input[0] = "nothing/produces/this"
        return 0

    with pytest.raises(ExportError, match="fails onnx.checker"):
        rewrite_step_graphs(tmp_path, bundle.manifest.editable(), break_it)


def test_the_sample_is_the_first_column_cut_at_the_bundles_source_limit(bundle_factory, tmp_path):
    bundle_path = bundle_factory("gru", "luong")
    manifest = load_bundle(bundle_path).manifest.editable()
    tsv = tmp_path / "sample.tsv"
    tsv.write_text("one two three four five six seven.\tsept.\nnine.\tneuf.\n\tvide.\n", encoding="utf-8")
    sample = read_sample(tsv, size=10)
    assert sample[:2] == ["one two three four five six seven.", "nine."]
    manifest["decoding"]["max_source_length"] = 3
    sources = encoded_sample(bundle_path, manifest, sample, "this test")
    assert len(sources) == 2 and max(len(s) for s in sources) == 3  # the empty line dropped, the long one cut
    with pytest.raises(ExportError, match="no sentence to check this test on"):
        encoded_sample(bundle_path, manifest, [""], "this test")


def test_a_rewritten_bundle_is_published_whole_and_verified(bundle_factory, tmp_path):
    source = bundle_factory("gru", "luong")
    bundle = load_bundle(source)
    work = tmp_path / "work"
    work.mkdir()
    unpack(bundle, work)
    manifest = bundle.manifest.editable()
    manifest.setdefault("provenance", {})["note"] = "rewritten"
    out = tmp_path / "out"
    written = publish_rewritten(work, manifest, out)
    published = load_bundle(out)
    assert published.manifest.document["provenance"]["note"] == "rewritten" == written["provenance"]["note"]
    assert Translator.load(out).translate(SENTENCES) == Translator.load(source).translate(SENTENCES)
