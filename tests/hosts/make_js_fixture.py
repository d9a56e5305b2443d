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

import numpy as np

from s2s.runtime import Translator
from s2s.runtime.line_reader import read_lines
from s2s.runtime.bundle.placeholders import PLACEHOLDER_PATTERN, placeholder
from s2s.runtime.decoding.protection import Terms, restore
from s2s.runtime.decoding.sentences import split_sentences

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
# Protection: real sentences with every protected kind, the user's terms, and edge cases.
PROTECTION_TEXTS = [
    "Maria bought 3 apples and 12 eggs at the market yesterday.", "Call Jonas at 06 12 34 56 78 tomorrow.",
    "Send the invoice to billing@example.com today.", "Flight LH1234 leaves at 14:05 from gate B22.",
    "Version 4.2.1 fixes the login bug.", "Visit https://example.com/help for details.", "Olga moved to Lisbon in 2019.",
    "Open ~/docs/report.txt or C:\\Users\\me\\a.txt now.", "Ticket #5531 costs $5 (12% off), see X7-42QB.",
    "Acme Cloud runs in New York and in new york.", "The INVOICE from ACME CLOUD.", "Olga saw Olga and OLGA.",
    "Straße, Ærøskøbing, Łódź and Zoë are here.", "naïve Café at 7° and 20°C, 1,000.50 € or €5.",
    "A1 B2 C3 D4 E5 F6 G7 H8 I9 J10 K11 L12 M13 N14 O15 P16 Q17 R18.", "\ue001 is not a placeholder \ue00f.",
    "See (https://x.org/a_b), then 'www.y.com'.", "and/or 3/4 of 2024/03/05 at 10:30:15.", "",
    # Terms in case variants and other Unicode forms, and terms with hyphens (a RegExp of them was a
    # SyntaxError in JavaScript; "ſtop" once came back as "undefined").
    "Please ſtop here.", "We flew to istanbul and İSTANBUL.", "Send the ınvoice by e-mail to Jean-Pierre.",
    "A cafe\u0301 and a café.", "Long words: " + "a" * 3000 + " and " + "a-" * 1000 + ".",
    "Installed (%d):", "{users} and {lastUser} joined.", "Save %(count)s to %1$s, 100%% done, {n, number}.",
    "Hello {{ name }} and ${user}.",
]
GLOSSARY = {"invoice": "facture", "New York": "New York City", "login": "connexion", "stop": "arrêt",
            "İstanbul": "Istanbul", "e-mail": "courriel", "café": "bistro"}
KEEP = ["Acme Cloud", "Jean-Pierre"]
TEST_LINES = 500
BEAM_LINES = 100  # beam search costs five greedy decodes
ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"-()[]{}…«»“”‘’"
            "éèêëàâäîïôöùûüçœæßÉÀÇ€£¥©®™½¼ﬁﬂＡＢＣ１２３　\u00a0\u2009\u200b\u200d\u2028\u2029\ufeff\x00\x07\x1b\x7f\x85"
            "漢字かなカナ한국어العربيةעבריתРусскийΕλληνικά🙂👍🏽🇫🇷\u0301\u0308\U00013439\U0001343f")


def adversarial(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        length = rng.choice([1, 2, 5, 10, 30, 80])
        texts.append("".join(rng.choice(ALPHABET) for _ in range(length)))
    return texts


def restore_cases(protected: list, seed: int = 11) -> list[dict]:
    """Model outputs as a model might write them (placeholders kept, dropped, repeated, invented,
    glued to punctuation) with attention weights, and what restoring them gives."""
    rng = random.Random(seed)
    cases = []
    for p in protected:
        for _ in range(3):
            words = [w for w in PLACEHOLDER_PATTERN.split(p.text) if w] or ["x"]
            kept = [placeholder(n) for n in range(1, len(p.items) + 1) if rng.random() < 0.6]
            kept += [placeholder(rng.randint(1, 16)) for _ in range(rng.randint(0, 2))]
            pieces = rng.sample(words, len(words)) + kept
            rng.shuffle(pieces)
            output = "".join(rng.choice(["", " ", ", "]) + piece for piece in pieces).strip()
            cuts = sorted(rng.sample(range(1, len(output) + 1), min(len(output), rng.randint(1, 8))))
            ends = sorted(set(cuts + [len(output)]))
            columns = len(p.items) + rng.randint(0, 4)
            attention = np.array([[round(rng.random(), 3) for _ in range(columns)] for _ in ends], dtype=np.float32)
            positions = {n: rng.randrange(columns) for n in range(1, len(p.items) + 1)}
            weights = attention if rng.random() < 0.8 else None
            result = restore(p, output, ends, positions, weights)
            cases.append({"text": p.text, "items": [vars(i) for i in p.items], "output": output, "ends": ends,
                          "positions": {str(k): v for k, v in positions.items()},
                          "attention": None if weights is None else weights.astype("float64").tolist(),
                          "expected": vars(result)})
    return cases


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
        protector = translator.protector(True, Terms.of(GLOSSARY, KEEP))
        protected = [protector.protect(text) for text in PROTECTION_TEXTS + strings[:400]]
        entry["protection"] = {
            "glossary": GLOSSARY, "keep": KEEP, "language": translator.source_language,
            "cases": [{"input": p_input, "text": p.text, "items": [vars(i) for i in p.items]}
                      for p_input, p in zip(PROTECTION_TEXTS + strings[:400], protected)],
            "restore": restore_cases([p for p in protected if p.items]),
        }
        if translator.bundle.manifest.protects:
            entry["protection"]["translations"] = {
                "expected": translator.translate(PROTECTION_TEXTS, glossary=GLOSSARY, keep=KEEP),
                "beam5": translator.translate(PROTECTION_TEXTS, glossary=GLOSSARY, keep=KEEP, beam_size=5),
                "unprotected": translator.translate(PROTECTION_TEXTS, protect=False),
            }
        language = translator.source_language
        entry["splits"] = [[text, *split_sentences(text, language)] for text in strings]
        fixture.append(entry)
    json.dump(fixture, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
