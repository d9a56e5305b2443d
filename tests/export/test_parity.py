"""The checks that make an export trustworthy: they pass on a faithful bundle and fail on one
that is not."""

import json

import torch

from s2s.export.parity import (
    ParityReport,
    _batches,
    batch_variant_sentences,
    check_fp32,
    greedy_agreement,
    tokenizer_mismatches,
)
from s2s.runtime import load_bundle
from s2s.runtime.decoding.tokenizer import Tokenizer as RuntimeTokenizer
from s2s.runtime.bundle.contract import SOURCE_TOKENIZER
from s2s.training.checkpoint import load_checkpoint

SENTENCES = ["one two three.", "nine.", "four four five six seven.", "eight zero.", "two three four five six seven."]


def encoded(bundle_path) -> list[list[int]]:
    tokenizer = RuntimeTokenizer.from_file(bundle_path / SOURCE_TOKENIZER)
    return tokenizer.encode_batch(SENTENCES * 4)


def test_a_report_passes_only_within_tolerance_and_with_identical_greedy():
    assert ParityReport(sentences=3, max_encoder_error=1e-6, max_log_prob_error=1e-5).passed
    assert not ParityReport(sentences=3, max_encoder_error=1e-3).passed
    assert not ParityReport(sentences=3, max_log_prob_error=1e-3).passed
    assert not ParityReport(sentences=3, greedy_mismatches=[2]).passed
    assert "greedy identical for 2/3" in ParityReport(sentences=3, greedy_mismatches=[2]).summary()


def test_batches_cover_every_row_once_with_several_sizes():
    batches = _batches(20, (1, 3, 16))
    assert [row for batch in batches for row in batch] == list(range(20))
    assert {len(batch) for batch in batches} == {1, 3, 16}


def test_the_fp32_check_passes_on_its_own_export_and_fails_on_changed_weights(checkpoint_factory, bundle_factory):
    checkpoint = load_checkpoint(checkpoint_factory("gru", "bahdanau"))
    bundle_path = bundle_factory("gru", "bahdanau")
    bundle, sources = load_bundle(bundle_path), encoded(bundle_path)
    report = check_fp32(checkpoint.model, bundle, sources)
    assert report.passed, report.summary()
    with torch.no_grad():
        # Every decoder weight nudged a little (by noise: a constant shift of the output bias would
        # not change a log-softmax): the bundle no longer holds this model.
        generator = torch.Generator().manual_seed(0)
        for name, parameter in checkpoint.model.named_parameters():
            if name.startswith("decoder"):
                parameter.add_(0.05 * torch.randn(parameter.shape, generator=generator))
    changed = check_fp32(checkpoint.model, bundle, sources)
    assert not changed.passed and changed.max_log_prob_error > changed.tolerance


def test_greedy_agreement_and_batch_invariance_of_a_bundle(bundle_factory):
    fp32_path, int8_path = bundle_factory("gru", "bahdanau"), bundle_factory("gru", "bahdanau", quantize="int8")
    fp32, int8 = load_bundle(fp32_path), load_bundle(int8_path)
    sources = encoded(fp32_path)
    limits = [fp32.manifest.decoding.limit(len(s)) for s in sources]
    assert greedy_agreement(fp32, fp32, sources, limits) == 1.0
    assert 0.0 <= greedy_agreement(fp32, int8, sources, limits) <= 1.0
    assert batch_variant_sentences(fp32, sources, limits) == []
    assert batch_variant_sentences(int8, sources, limits) == []


def test_tokenizer_mismatches_name_the_texts_that_differ(checkpoint_factory, bundle_factory):
    checkpoint = load_checkpoint(checkpoint_factory("gru", "bahdanau"))
    data = (bundle_factory("gru", "bahdanau") / SOURCE_TOKENIZER).read_bytes()
    runtime = RuntimeTokenizer.from_bytes(data, SOURCE_TOKENIZER)
    assert tokenizer_mismatches(checkpoint.source_tokenizer, runtime, SENTENCES) == []
    # The same file with two words' ids swapped: exactly the texts holding one of them differ.
    spec = json.loads(data)
    vocab = spec["model"]["vocab"]
    vocab["▁nine"], vocab["▁eight"] = vocab["▁eight"], vocab["▁nine"]
    swapped = RuntimeTokenizer.from_bytes(json.dumps(spec).encode(), SOURCE_TOKENIZER)
    assert tokenizer_mismatches(checkpoint.source_tokenizer, swapped, SENTENCES) == ["nine.", "eight zero."]
