"""One options object for decoding: validation, what a resumed job must share, and the n-best
ranking it controls (length_penalty)."""

from __future__ import annotations

import json

import pytest

from s2s.runtime.decoding.options import MAX_BEAM_SIZE, DecodeOptions
from s2s.runtime.errors import InputError


def test_options_are_checked_once_with_one_line_messages():
    for changes, message in (({"beam_size": 0}, "beam size"), ({"beam_size": MAX_BEAM_SIZE + 1}, "beam size"),
                             ({"n_best": 3, "beam_size": 2}, "n-best"), ({"length_penalty": -1}, "length penalty"),
                             ({"batch_size": 0}, "batch size"), ({"max_length": 0}, "max length")):
        with pytest.raises(InputError, match=message):
            DecodeOptions(**changes)
    with pytest.raises(TypeError, match="unknown decoding option"):
        DecodeOptions.of(beam=5)


def test_the_fingerprint_leaves_out_the_batch_size_and_hides_the_terms():
    base = DecodeOptions(beam_size=5)
    assert base.fingerprint() == DecodeOptions(beam_size=5, batch_size=7).fingerprint()
    with_terms = DecodeOptions(glossary={"invoice": "facture"}, keep=["Acme"])
    record = json.dumps(with_terms.fingerprint())
    assert "terms_sha256" in record and "facture" not in record
    assert with_terms.glossary == (("invoice", "facture"),)  # held as tuples: hashable, picklable
    assert with_terms.fingerprint() != DecodeOptions(glossary={"invoice": "note"}, keep=["Acme"]).fingerprint()


def test_n_best_lists_come_in_the_order_of_the_rank_score_they_print(bundle_factory):
    from s2s.runtime import Translator
    from s2s.runtime.batch.output_format import format_line

    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    sources = ["one two three four five .", "two .", "nine eight seven six ."]
    for penalty in (0.0, 0.5, 1.0):
        results = translator.translate_results(sources, beam_size=5, n_best=5, length_penalty=penalty)
        for result in results:
            lines = json.loads(format_line(result, "jsonl"))["n_best"]
            ranks = [entry["rank_score"] for entry in lines]
            assert ranks == sorted(ranks, reverse=True)
            for hypothesis in result.hypotheses:
                length = len(hypothesis.tokens) + 1  # with <eos>, as the search counts
                assert hypothesis.ranking == pytest.approx(hypothesis.score / length ** penalty, abs=1e-4)
    # length_penalty 0 ranks by the printed score itself
    for result in translator.translate_results(sources, beam_size=5, n_best=5, length_penalty=0.0):
        scores = [h.score for h in result.hypotheses]
        assert scores == sorted(scores, reverse=True)
