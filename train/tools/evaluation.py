"""Translate a test set with the runtime and score it with sacreBLEU (BLEU and chrF)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from s2s.runtime.decoding.translator import Translator
from s2s.runtime.errors import InputError
from s2s.runtime.line_reader import read_lines, read_pairs
from s2s.training.errors import TRAIN_INSTALL


@dataclass
class EvaluationResult:
    test: str
    sentences: int
    beam_size: int
    bleu: float
    chrf: float
    signature: str
    chrf_signature: str
    seconds: float
    sentences_per_second: float
    tokens_per_second: float
    threads: int | None = None
    lowercase: bool = False
    split_sentences: bool = True
    command: str | None = None
    protected: bool | None = None  # None: the bundle protects nothing; else whether protection was on
    # BLEU by source length in words (LENGTH_BUCKETS): where the model is good and where it is not.
    by_length: list[dict] | None = None
    length_penalty: float = 1.0  # beam search's (decoding/options.py); 1 is the default

    def to_dict(self) -> dict:
        return asdict(self)


LENGTH_BUCKETS = ((1, 10), (11, 20), (21, 30), (31, None))


def bleu_by_length(sources: list[str], hypotheses: list[str], references: list[str], lowercase: bool) -> list[dict]:
    """Corpus BLEU of the sentences of each source length (in words), for the buckets that hold any."""
    import sacrebleu

    rows = []
    for low, high in LENGTH_BUCKETS:
        chosen = [i for i, s in enumerate(sources) if low <= len(s.split()) and (high is None or len(s.split()) <= high)]
        if chosen:
            score = sacrebleu.metrics.BLEU(lowercase=lowercase).corpus_score(
                [hypotheses[i] for i in chosen], [[references[i] for i in chosen]])
            rows.append({"words": f"{low}-{high}" if high else f"{low}+", "sentences": len(chosen),
                         "bleu": round(score.score, 2)})
    return rows


def read_test_set(source: Path, reference: Path | None = None) -> tuple[list[str], list[str]]:
    """Sources and references: from a TSV of source<TAB>reference lines, or from two
    line-aligned files (`source` and `reference`)."""
    if reference is None:
        pairs = read_pairs(source, "reference (or give the references as a file with --reference)")
        sources, references = [s for s, _ in pairs], [r for _, r in pairs]
    else:
        sources, references = read_lines(source), read_lines(reference)
        if len(sources) != len(references):
            raise InputError(f"line counts differ: {source} has {len(sources)}, {reference} has {len(references)}")
    if not sources:
        raise InputError("the test set is empty")
    return sources, references


def evaluate(
    translator: Translator,
    sources: list[str],
    references: list[str],
    name: str,
    *,
    beam_size: int = 1,
    length_penalty: float = 1.0,
    batch_size: int = 64,
    max_length: int | None = None,
    lowercase: bool = False,
    threads: int | None = None,
    split_sentences: bool = True,
    protect: bool = True,
) -> tuple[EvaluationResult, list[str]]:
    try:
        import sacrebleu
    except ImportError:
        raise InputError(f"s2s-eval needs sacreBLEU: {TRAIN_INSTALL}") from None
    started = time.perf_counter()
    translations = translator.translate_results(sources, beam_size=beam_size, length_penalty=length_penalty,
                                                batch_size=batch_size, max_length=max_length,
                                       split_sentences=split_sentences, protect=protect)
    seconds = time.perf_counter() - started
    hypotheses = [t.text for t in translations]
    tokens = sum(len(t.hypotheses[0].tokens) for t in translations)
    bleu = sacrebleu.metrics.BLEU(lowercase=lowercase)
    chrf = sacrebleu.metrics.CHRF(lowercase=lowercase)
    bleu_score = bleu.corpus_score(hypotheses, [references])
    chrf_score = chrf.corpus_score(hypotheses, [references])
    result = EvaluationResult(
        test=name,
        sentences=len(sources),
        beam_size=beam_size,
        bleu=round(bleu_score.score, 2),
        chrf=round(chrf_score.score, 2),
        signature=str(bleu.get_signature()),
        chrf_signature=str(chrf.get_signature()),
        split_sentences=split_sentences,
        seconds=round(seconds, 3),
        sentences_per_second=round(len(sources) / seconds, 1),
        tokens_per_second=round(tokens / seconds, 1),
        threads=threads,
        lowercase=lowercase,
        protected=protect if translator.bundle.manifest.protects else None,
        by_length=bleu_by_length(sources, hypotheses, references, lowercase),
        length_penalty=length_penalty,
    )
    return result, hypotheses


def record_in_bundle(bundle_dir: Path, result: EvaluationResult) -> None:
    """Add (or replace) this evaluation in the bundle's manifest and regenerate its model card."""
    from s2s.runtime.atomic import write_atomically
    from s2s.runtime.bundle.contract import MANIFEST, MODEL_CARD
    from s2s.runtime.bundle.manifest import Manifest, serialise
    from s2s.runtime.bundle.reader import sha256_file
    from s2s.runtime.bundle.model_card import render_model_card

    manifest_path = bundle_dir / MANIFEST
    manifest = Manifest.read(bundle_dir).editable()
    key = (result.test, result.beam_size, result.lowercase, result.protected, result.length_penalty)
    entries = [e for e in manifest.get("evaluation", [])
               if (e["test"], e["beam_size"], e.get("lowercase", False), e.get("protected"),
                   e.get("length_penalty", 1.0)) != key]
    # Only what differs from the defaults the earlier records assume.
    entries.append({k: v for k, v in result.to_dict().items()
                    if not (k == "protected" and v is None or k == "length_penalty" and v == 1.0)})
    manifest["evaluation"] = sorted(entries, key=lambda e: (e["test"], e.get("lowercase", False), e["beam_size"],
                                                            e.get("length_penalty", 1.0), not e.get("protected", True)))
    card = bundle_dir / MODEL_CARD
    write_atomically(card, render_model_card(manifest))
    manifest["files"][MODEL_CARD] = {"sha256": sha256_file(card), "bytes": card.stat().st_size}
    write_atomically(manifest_path, serialise(manifest))
