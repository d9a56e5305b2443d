import itertools
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from s2s.runtime import InputError, Translator
from s2s.runtime.decoding.search import BeamSearch, GreedySearch, search
from s2s.training import greedy_decode as torch_greedy_decode
from s2s.training import load_checkpoint
from s2s.training.config import ATTENTIONS, CELLS
from s2s.training.tokenization import encode

VARIANTS = list(itertools.product(CELLS, ATTENTIONS))
SENTENCES = ["one two three.", "nine.", "four four five six seven.", "eight zero.", "two.", "six six six six six six."]


@pytest.mark.parametrize("cell,attention", VARIANTS)
def test_runtime_greedy_equals_the_pytorch_reference(cell, attention, checkpoint_factory, bundle_factory):
    checkpoint = load_checkpoint(checkpoint_factory(cell, attention))
    translator = Translator.load(bundle_factory(cell, attention))
    reference_ids = torch_greedy_decode(checkpoint.model, encode(checkpoint.source_tokenizer, SENTENCES))
    reference = checkpoint.target_tokenizer.decode_batch(reference_ids)
    assert translator.translate(SENTENCES) == reference
    detailed = translator.translate_results(SENTENCES)
    assert [[translator.target_tokenizer.token_to_id(t) for t in d.hypotheses[0].tokens] for d in detailed] == reference_ids


@pytest.mark.parametrize("cell,attention", [("gru", "bahdanau"), ("lstm", "luong"), ("rnn", "none")])
def test_beam_one_is_greedy_and_batched_is_one_by_one(cell, attention, bundle_factory):
    translator = Translator.load(bundle_factory(cell, attention))
    greedy = translator.translate(SENTENCES)
    assert translator.translate(SENTENCES, beam_size=1) == greedy
    model, ids = translator.model, translator.source_tokenizer.encode_batch(SENTENCES)
    limits = [translator.bundle.manifest.decoding.limit(len(s)) for s in ids]
    args = (translator.sos_id, translator.eos_id)
    via_beam = [best for [best] in search(model, ids, translator.pad_id, BeamSearch(limits, *args, beam_size=1))]
    via_greedy = [best for [best] in search(model, ids, translator.pad_id, GreedySearch(limits, *args))]
    assert [h.token_ids for h in via_beam] == [h.token_ids for h in via_greedy]
    np.testing.assert_allclose([h.score for h in via_beam], [h.score for h in via_greedy], rtol=1e-5)
    one_by_one = [translator.translate([s], batch_size=1)[0] for s in SENTENCES]
    assert translator.translate(SENTENCES, batch_size=4) == one_by_one == greedy


def test_beam_search_scores_at_least_as_well_as_greedy(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    greedy = translator.translate_results(SENTENCES)
    beam = translator.translate_results(SENTENCES, beam_size=4)
    assert len(beam) == len(SENTENCES)
    for g_result, b_result in zip(greedy, beam):
        g, b = g_result.hypotheses[0], b_result.hypotheses[0]
        g_norm = g.score / (len(g.tokens) + 1)
        b_norm = b.score / (len(b.tokens) + 1)
        assert b_norm >= g_norm - 1e-5 or len(b.tokens) >= translator.bundle.manifest.decoding.limit(len(b_result.source_tokens))


def test_detailed_output_has_attention_per_token(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    [result] = translator.translate_results(["one two three."], attention=True)
    best = result.hypotheses[0]
    assert best.attention.shape[1] == len(result.source_tokens)
    assert best.attention.shape[0] in (len(best.tokens), len(best.tokens) + 1)
    np.testing.assert_allclose(best.attention.sum(axis=1), 1.0, rtol=1e-5)
    assert best.score < 0
    assert best.alignment() == list(best.attention[: len(best.tokens)].argmax(axis=1))


def test_input_order_is_preserved_across_length_buckets(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    texts = SENTENCES * 5
    expected = {s: translator.translate([s])[0] for s in SENTENCES}
    assert translator.translate(texts, batch_size=3) == [expected[s] for s in texts]


def test_awkward_inputs_translate_without_error(bundle_factory, caplog):
    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    texts = ["", "   ", "\t", "😀🚀", "東京は大きい", "a\x00b\x07c", "one\u200b two.", " ".join(["one"] * 1000)]
    out = translator.translate(texts)
    assert len(out) == len(texts)
    assert out[0] == "" and out[1] == "" and out[2] == ""
    assert "truncated" in caplog.text
    # Control and zero-width characters are dropped by the normaliser: the text around them translates
    # as if they were not there; unknown scripts become <unk> and still give an output line.
    assert out[5] == translator.translate(["abc"])[0] and out[6] == translator.translate(["one two."])[0]
    assert translator.translate_results(texts[7:])[0].truncated


def test_any_iterable_of_texts_and_a_single_string(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    expected = translator.translate(SENTENCES)
    assert translator.translate(s for s in SENTENCES) == expected  # a generator
    assert list(translator.translate_iterable("one two three.")) == translator.translate(["one two three."])
    with pytest.raises(InputError, match="bytes"):
        translator.translate(b"one.")


def test_bad_options(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    for kwargs in ({"beam_size": 0}, {"beam_size": 10_000}, {"batch_size": 0}, {"max_length": 0}):
        with pytest.raises(InputError):
            translator.translate(["one."], **kwargs)
    for kwargs in ({"n_best": 0}, {"n_best": 2}, {"n_best": 4, "beam_size": 3}):
        with pytest.raises(InputError, match="n-best"):
            translator.translate(["one."], **kwargs)
    assert all(len(t.hypotheses[0].tokens) <= 2 for t in translator.translate_results(SENTENCES, max_length=2))


def test_thread_safe(bundle_factory):
    translator = Translator.load(bundle_factory("lstm", "bahdanau"))
    expected = translator.translate(SENTENCES)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(translator.translate(SENTENCES, batch_size=2))
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 20 and all(r == expected for r in results)


def test_streaming_is_lazy_and_in_order(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    consumed = []

    def source():
        for i in itertools.count():
            consumed.append(i)
            yield SENTENCES[i % len(SENTENCES)]

    stream = translator.translate_iterable(source(), batch_size=2, chunk_size=4)
    first = list(itertools.islice(stream, 6))
    assert first == translator.translate(SENTENCES)
    assert len(consumed) <= 8  # read ahead at most one chunk: memory bounded for any input size


def test_runtime_never_imports_torch_or_tokenizers(bundle_factory):
    # Neither is a runtime dependency: torch is the training stack; the runtime reads the
    # tokenizer files itself (s2s.runtime.decoding.tokenizer).
    code = textwrap.dedent(f"""
        import sys
        class Forbidden:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "tokenizers"):
                    raise ImportError(name + " is not allowed in the runtime")
        sys.meta_path.insert(0, Forbidden())
        from s2s.runtime import Translator
        print(Translator.load({str(bundle_factory("gru", "bahdanau"))!r}).translate(["one two."], beam_size=2)[0])
        assert "torch" not in sys.modules and "tokenizers" not in sys.modules
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_n_best_lists_are_beam_search_finished_hypotheses_best_first(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "luong"))
    results = translator.translate_results(SENTENCES, beam_size=4, n_best=3, split_sentences=False)
    assert [r.text for r in results] == translator.translate(SENTENCES, beam_size=4, split_sentences=False)
    for result in results:
        assert 1 <= len(result.hypotheses) <= 3
        texts = [h.text for h in result.hypotheses]
        assert len(set(map(tuple, (h.tokens for h in result.hypotheses)))) == len(texts)  # distinct
        ranks = [h.score / (len(h.tokens) + 1) for h in result.hypotheses]
        # Best first by length-normalised score (a hypothesis cut at the length limit has no <eos>).
        assert all(a >= b - 0.2 for a, b in zip(ranks, ranks[1:]))


def test_n_best_of_a_line_of_sentences_joins_each_sentence_s_own(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "luong"))
    line, parts = "One two. Three four!", ["One two.", "Three four!"]
    [whole] = translator.translate_results([line], beam_size=3, n_best=3, attention=True)
    alone = translator.translate_results(parts, beam_size=3, n_best=3, split_sentences=False, attention=True)
    assert whole.text == translator.translate([line], beam_size=3)[0]
    joins = {(a.text + " " + b.text): a.score + b.score for a in alone[0].hypotheses for b in alone[1].hypotheses}
    for hypothesis in whole.hypotheses:
        assert joins[hypothesis.text] == pytest.approx(hypothesis.score)
    assert whole.hypotheses[0].text == alone[0].text + " " + alone[1].text
    assert whole.source_tokens == alone[0].source_tokens + alone[1].source_tokens
    # Block-diagonal attention: target tokens of the second sentence align into the second's source.
    first_length = len(alone[0].hypotheses[0].tokens)
    offset = len(alone[0].source_tokens)
    assert all(i < offset for i in whole.hypotheses[0].alignment()[:first_length])
    assert all(i >= offset for i in whole.hypotheses[0].alignment()[first_length:])


def test_attention_from_a_model_without_attention_is_a_clear_error(bundle_factory):
    translator = Translator.load(bundle_factory("gru", "none"))
    with pytest.raises(InputError, match="no attention"):
        translator.translate_results(["one."], attention=True)
