"""The bundles this repository ships load, verify, translate and are batch-invariant."""

from pathlib import Path

import pytest

from s2s.runtime import Translator

MODELS = Path(__file__).resolve().parents[3] / "models"
SENTENCES = {
    "eng-fra": ["I am a student.", "How are you?", "The weather is nice today.", "I don't know what to do.",
                "My sister lives in Paris with her two children.", "Tom is reading a book in the garden.",
                "Where is the station?", "We have to leave now.", "A man is riding a bike down the street.",
                "Two dogs are playing in the snow.", "She bought a red dress yesterday.", "Can you help me?"],
    "deu-eng": ["Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee.", "Eine Frau liest ein Buch im Park.",
                "Ein kleines Mädchen lacht.", "Drei Männer arbeiten auf einer Baustelle.", "Ein Kind springt ins Wasser."],
}
EXPECTED_WORD = {"eng-fra": ("I am a student.", "étudiant"), "deu-eng": ("Ein Mann fährt Fahrrad.", "man")}


@pytest.mark.parametrize("name", sorted(SENTENCES))
def test_shipped_bundle_translates_the_same_in_any_batch(name):
    translator = Translator.load(MODELS / name)
    onnx_info = translator.bundle.manifest.document["onnx"]
    assert onnx_info["precision"] == "int8" and onnx_info["activation_quantisation"] == "fixed-or-per-row"
    # Every activation of these GRU + Luong models is proved to lie in [-1, 1]: one fixed scale.
    assert translator.bundle.manifest.document["verification"]["int8"]["activations"] == {"fixed": 5, "per_row": 0}
    assert translator.model.greedy is not None  # each shipped bundle carries the one-call graph
    sentences = SENTENCES[name] * 3
    together = translator.translate(sentences, batch_size=64)  # the step loop
    assert together == [translator.translate([s])[0] for s in sentences]  # one sentence: the one-call graph
    source, word = EXPECTED_WORD[name]
    assert word in translator.translate([source])[0].lower()


@pytest.mark.parametrize("name", ["eng-fra", "deu-eng"])
def test_the_graphs_use_the_operators_the_format_page_lists(name):
    import re

    import onnx

    page = (MODELS.parent / "docs" / "bundle-format.md").read_text(encoding="utf-8")
    section = page.split("## Operators", 1)[1].split("\n## ", 1)[0]
    for graph in ("encoder.onnx", "decoder.onnx"):
        listed = set(re.findall(r"`(\w+)`", section.split(f"- {graph}:", 1)[1].split("\n- ", 1)[0].split("\n\n")[0]))
        model = onnx.load(str(MODELS / name / graph))
        assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
        used = {node.op_type for node in model.graph.node}
        assert all(node.domain in ("", "ai.onnx") for node in model.graph.node)
        assert used == listed, f"{graph}: used but not listed {used - listed}, listed but not used {listed - used}"
