"""The runtime's tokenizer against the training tokenizer (Hugging Face `tokenizers`) it reads."""

import json

import pytest

from s2s.runtime.errors import BundleError
from s2s.runtime.decoding.tokenizer import Tokenizer
from s2s.training.tokenization import train_tokenizer

CORPUS = [
    "I am a student.", "Je suis étudiant.", "Qu'est-ce que c'est ?", "L'homme a dit : « non ! »",
    "Where's Tom's  car?", "C'est l'été, n'est-ce pas ?", "Ich heiße Müller; er wohnt in Köln.",
    "It costs $5 + tax = $5.40 (or <= 6)!", "Ça va... très bien — merci.", "Zwei junge Männer sind im Freien.",
    "Le chat dort sur le canapé.", "He said \"hello\" to me.", "C'était à 9h30, n'est-ce pas ?",
] * 20

PROBES = CORPUS[:13] + [
    "", "   ", "\t tabs\tand\nnewlines\r\n", "ﬁnancial ＡＢＣ ½ café",  # NFKC folds ligatures, full-width, fractions
    "zero\u200bwidth and soft\u00adhyphen", "bell\x07 and \x85next line", "unseen 漢字 and emoji 🙂",
    "a <unk> b<eos>c", "<pad><sos>", "▁already marked", "x▁▁y", "multiple     spaces   here",
    "étudiant étudiants étudiante", "supercalifragilistic expialidocious", "¿Qué? ¡Sí!", "''''",
]


@pytest.fixture(scope="module", params=["bpe", "word", "char"])
def pair(request, tmp_path_factory):
    reference = train_tokenizer(CORPUS, request.param, vocab_size=120 if request.param == "bpe" else 400)
    path = tmp_path_factory.mktemp(request.param) / "tokenizer.json"
    reference.save(str(path))
    return reference, Tokenizer.from_file(path)


def test_encode_matches_the_training_tokenizer(pair):
    reference, runtime = pair
    for text in PROBES:
        assert runtime.encode(text) == reference.encode(text, add_special_tokens=False).ids, text


def test_decode_matches_the_training_tokenizer(pair):
    reference, runtime = pair
    for text in PROBES:
        ids = reference.encode(text, add_special_tokens=False).ids
        for row in (ids, [1, *ids, 2], ids[::-1], [0, 3] + ids[:2]):
            assert runtime.decode(row) == reference.decode(row, skip_special_tokens=True), (text, row)


def test_vocabulary_views(pair):
    reference, runtime = pair
    assert runtime.vocab_size == reference.get_vocab_size()
    for index in range(runtime.vocab_size):
        assert runtime.id_to_token(index) == reference.id_to_token(index)
    assert runtime.id_to_token(runtime.vocab_size) is None
    assert runtime.token_to_id("<eos>") == 2


def test_unsupported_pipelines_are_refused(pair, tmp_path):
    reference, _ = pair
    spec = json.loads(reference.to_str())
    spec["normalizer"]["normalizers"].append({"type": "Prepend", "prepend": "x"})
    with pytest.raises(BundleError, match="unsupported tokenizer normaliser"):
        Tokenizer(spec)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(BundleError, match="tokenizer .* is not valid JSON"):
        Tokenizer.from_file(bad)
