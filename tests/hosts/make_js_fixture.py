"""Write what the Python runtime computes, for the JavaScript host's parity tests (hosts/js/test).

    python tests/hosts/make_js_fixture.py BUNDLE[=TEST_FILE]... > fixture.json

For each bundle: the source and target tokenizers' ids and decoded text on real and adversarial
strings, greedy translations of real sentences (with and without sentence splitting), and, with
a TEST_FILE (text, or a TSV whose first column is the source), the greedy translations of its
first 500 lines and the beam-5 translations of its first 100.
"""

from __future__ import annotations

import json
import random
import sys

from pathlib import Path

from s2s.runtime import Translator
from s2s.runtime.line_reader import read_lines
from s2s.runtime.sentences import split_sentences

SENTENCES = [
    "I am a student.", "How are you?", "I don't know what to do.", "The weather is nice today.",
    "My sister lives in Paris with her two children.", "Tom is reading a book in the garden.", "Where is the station?",
    "We have to leave now.", "She bought a red dress yesterday.", "Can you help me?", "I love you.", "It's raining.",
    "Is it you?", "Don't buy things on credit.", "He is taller than his father.", "What time is it?",
    "I'm hungry.", "Let's go to the beach!", "They didn't come.", "Do you speak French?", "This is my house.",
    "A man is riding a bike down the street.", "Two dogs are playing in the snow.", "A woman reads a book in a park.",
    "A little girl is laughing.", "Three men are working on a construction site.", "A child jumps into the water.",
    "Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee.", "Eine Frau liest ein Buch im Park.",
    "Ein kleines Mädchen lacht.", "Drei Männer arbeiten auf einer Baustelle.", "Ein Kind springt ins Wasser.",
    "Qu'est-ce que c'est ?", "Je ne sais pas.", "C'est la vie !", "L'homme marche dans la rue.",
    "I LOVE YOU.", "i love you", "  spaced   out  ", "Numbers: 3.14, 42 and 1,000,000.", "e-mail: tom@example.com",
    "naïve café résumé", "“Quoted” ‘text’ «guillemets»", "emoji 🙂 and symbols ™ © ½", "", "   ", "\ttab\tseparated",
    "I'm late. My sister lives in Paris with her two children. Call me!", "Mr. Smith met Dr. Jones. They talked.",
    'He shouted "Stop!" Nobody did.', "Wait... what happened? I don't know.", "No. 5 is the best. Really.",
    "J. R. R. Tolkien wrote it in 1937. It sold well.", "Tu viens ? Oui ! M. Dupont arrive.",
]
TEST_LINES = 500
BEAM_LINES = 100  # beam search costs five greedy decodes
ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"-()[]{}…«»“”‘’"
            "éèêëàâäîïôöùûüçœæßÉÀÇ€£¥©®™½¼ﬁﬂＡＢＣ１２３　\u00a0\u2009\u200b\u200d\u2028\u2029\ufeff\x00\x07\x1b\x7f\x85"
            "漢字かなカナ한국어العربيةעבריתРусскийΕλληνικά🙂👍🏽🇫🇷\u0301\u0308")


def adversarial(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        length = rng.choice([1, 2, 5, 10, 30, 80])
        texts.append("".join(rng.choice(ALPHABET) for _ in range(length)))
    return texts


def main() -> None:
    strings = SENTENCES + adversarial(2000)
    fixture = []
    for argument in sys.argv[1:]:
        path, _, test_file = argument.partition("=")
        translator = Translator.load(path, threads=1)
        entry = {"bundle": path, "tokenizers": {}, "translations": {}}
        for side, tokenizer in (("source", translator.source_tokenizer), ("target", translator.target_tokenizer)):
            ids = [tokenizer.encode(text) for text in strings]
            entry["tokenizers"][side] = {"texts": strings, "ids": ids, "decoded": [tokenizer.decode(i) for i in ids]}
        sentences = [s for s in SENTENCES if s.strip()]
        entry["translations"] = {"sentences": sentences, "expected": translator.translate(sentences),
                                 "unsplit": translator.translate(sentences, split_sentences=False)}
        if test_file:
            lines = [line.split("\t")[0] for line in read_lines(Path(test_file))[:TEST_LINES]]
            entry["test_set"] = {"file": test_file, "sentences": lines, "expected": translator.translate(lines),
                                 "beam5": translator.translate(lines[:BEAM_LINES], beam_size=5)}
        language = translator.source_language
        entry["splits"] = [[text, *split_sentences(text, language)] for text in strings]
        fixture.append(entry)
    json.dump(fixture, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
