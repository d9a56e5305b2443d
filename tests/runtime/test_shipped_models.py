"""The bundles this repository ships load, verify, translate and are batch-invariant."""

from pathlib import Path

import pytest

from s2s.runtime import Translator

MODELS = Path(__file__).resolve().parents[2] / "models"
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
    onnx_info = translator.bundle.manifest["onnx"]
    assert onnx_info["precision"] == "int8" and onnx_info["activation_quantisation"] == "per-row"
    sentences = SENTENCES[name] * 3
    together = translator.translate(sentences, batch_size=64)
    assert together == [translator.translate([s])[0] for s in sentences]
    source, word = EXPECTED_WORD[name]
    assert word in translator.translate([source])[0].lower()
