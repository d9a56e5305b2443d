"""`Translator`: text in, text out, over a model bundle. The library API the CLI wraps."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from .beam import beam_search
from .bundle import SOURCE_TOKENIZER, TARGET_TOKENIZER, Bundle, load_bundle
from .errors import BundleError, InputError
from .greedy import Hypothesis, greedy_decode
from .model_store import resolve
from .onnx_model import OnnxSeq2Seq
from . import sentences
from .tokenizer import Tokenizer

log = logging.getLogger("s2s.runtime")

@dataclass
class Translation:
    text: str
    tokens: list[str]  # target subword tokens (without <eos>)
    score: float  # sum of token log-probabilities
    attention: np.ndarray | None  # [target tokens (+1 for <eos> when emitted), source tokens]
    source_tokens: list[str]
    truncated: bool = False


class Translator:
    """Translate with a model bundle. Thread-safe: onnxruntime sessions may be run from several
    threads at once, and each call keeps its own decoding state."""

    def __init__(self, bundle: Bundle, device: str = "cpu", threads: int | None = None) -> None:
        self.bundle = bundle
        self.model = OnnxSeq2Seq(bundle, device=device, threads=threads)
        self.source_tokenizer = Tokenizer.from_bytes(bundle.read(SOURCE_TOKENIZER), SOURCE_TOKENIZER)
        self.target_tokenizer = Tokenizer.from_bytes(bundle.read(TARGET_TOKENIZER), TARGET_TOKENIZER)
        architecture = bundle.architecture
        for side, tokenizer, key in (("source", self.source_tokenizer, "source_vocab_size"),
                                     ("target", self.target_tokenizer, "target_vocab_size")):
            if tokenizer.vocab_size != architecture[key]:
                raise BundleError(
                    f"{side} tokenizer has {tokenizer.vocab_size} tokens, the model expects {architecture[key]}"
                )
        ids = bundle.special_ids
        self.pad_id, self.sos_id, self.eos_id = ids["pad"], ids["sos"], ids["eos"]
        self.max_source_length = int(bundle.manifest["decoding"]["max_source_length"])
        # Inputs longer than every training sentence get one warning per Translator.
        data = bundle.manifest.get("training_data") or {}
        self.longest_seen = (data.get("source_tokens") or {}).get("max")
        self._warned_length = False
        onnx_info = bundle.manifest.get("onnx", {})
        if onnx_info.get("precision") == "int8" and onnx_info.get("activation_quantisation") != "per-row":
            log.warning("%s quantises activations per tensor: a sentence's translation may change with its batch; "
                        "rewrite it with python -m s2s.export.requantize", bundle.origin)

    @classmethod
    def load(cls, model: str | Path | None = None, *, device: str = "cpu", threads: int | None = None) -> "Translator":
        """Load a bundle: a directory or .zip, the name of an installed model (`s2s-models list`),
        or by default the bundled English->French model."""
        return cls(load_bundle(resolve(model)), device=device, threads=threads)

    # ---- public API ----------------------------------------------------------------------
    def translate(
        self,
        texts: str | Iterable[str],
        *,
        beam_size: int = 1,
        max_length: int | None = None,
        batch_size: int = 64,
        split_sentences: bool = True,
    ) -> list[str]:
        """Translate each text; one string per input, in input order (a str gives a 1-list).

        With `split_sentences`, a text holding several sentences is translated sentence by
        sentence and joined back with the whitespace that separated them."""
        texts = _as_list(texts)
        if not split_sentences:
            _, hypotheses, _ = self._run(texts, beam_size, max_length, batch_size, attention=False)
            return self.target_tokenizer.decode_batch([h.tokens for h in hypotheses])
        splits = [sentences.split_sentences(text, self.source_language) for text in texts]
        flat = self.translate([s for parts, _ in splits for s in parts], beam_size=beam_size, max_length=max_length,
                              batch_size=batch_size, split_sentences=False)
        return [sentences.join_sentences(group, _inner(separators))
                for group, separators in zip(_regroup(flat, splits), (seps for _, seps in splits))]

    def translate_detailed(
        self,
        texts: str | Iterable[str],
        *,
        beam_size: int = 1,
        max_length: int | None = None,
        batch_size: int = 64,
        attention: bool = True,
        split_sentences: bool = True,
    ) -> list[Translation]:
        """Like `translate`, with tokens, score and the attention matrix of every text (for a
        text of several sentences: tokens concatenated, scores summed, attention block-diagonal)."""
        texts = _as_list(texts)
        if not split_sentences:
            return self._detailed(texts, beam_size, max_length, batch_size, attention)
        splits = [sentences.split_sentences(text, self.source_language) for text in texts]
        flat = self._detailed([s for parts, _ in splits for s in parts], beam_size, max_length, batch_size, attention)
        return [_merge(group, _inner(separators))
                for group, separators in zip(_regroup(flat, splits), (seps for _, seps in splits))]

    def translate_stream(
        self, texts: Iterable[str], *, beam_size: int = 1, max_length: int | None = None, batch_size: int = 64,
        chunk_size: int | None = None, split_sentences: bool = True,
    ) -> Iterator[str]:
        """Translate an iterable lazily, yielding in input order. Memory is bounded by
        `chunk_size` texts (default 16 batches) whatever the length of the input."""
        for chunk in _chunks(texts, chunk_size or batch_size * 16):
            yield from self.translate(chunk, beam_size=beam_size, max_length=max_length, batch_size=batch_size,
                                      split_sentences=split_sentences)

    def translate_stream_detailed(
        self, texts: Iterable[str], *, beam_size: int = 1, max_length: int | None = None, batch_size: int = 64,
        chunk_size: int | None = None, split_sentences: bool = True,
    ) -> Iterator[Translation]:
        """`translate_stream` yielding `Translation`s (without attention matrices)."""
        for chunk in _chunks(texts, chunk_size or batch_size * 16):
            yield from self.translate_detailed(chunk, beam_size=beam_size, max_length=max_length,
                                               batch_size=batch_size, attention=False, split_sentences=split_sentences)

    @property
    def source_language(self) -> str | None:
        """The bundle's source language code (it picks the sentence splitter's abbreviations)."""
        return (self.bundle.manifest.get("languages") or {}).get("source")

    # ---- internals -----------------------------------------------------------------------
    def _detailed(self, texts: list[str], beam_size: int, max_length: int | None, batch_size: int,
                  attention: bool) -> list[Translation]:
        sources, hypotheses, truncated = self._run(texts, beam_size, max_length, batch_size, attention)
        decoded = self.target_tokenizer.decode_batch([h.tokens for h in hypotheses])
        return [
            Translation(
                text=text,
                tokens=[self.target_tokenizer.id_to_token(t) for t in hypothesis.tokens],
                score=hypothesis.score,
                attention=hypothesis.attention,
                source_tokens=[self.source_tokenizer.id_to_token(t) for t in source],
                truncated=cut,
            )
            for text, hypothesis, source, cut in zip(decoded, hypotheses, sources, truncated)
        ]

    def _run(
        self, texts: list[str], beam_size: int, max_length: int | None, batch_size: int, attention: bool
    ) -> tuple[list[list[int]], list[Hypothesis], list[bool]]:
        """Tokenise, decode in length buckets, and return (source ids, hypotheses, truncated) in input order."""
        if beam_size < 1:
            raise InputError(f"beam size must be at least 1, got {beam_size}")
        if beam_size > self.target_tokenizer.vocab_size:
            raise InputError(f"beam size {beam_size} is larger than the target vocabulary "
                             f"({self.target_tokenizer.vocab_size} tokens)")
        if batch_size < 1:
            raise InputError(f"batch size must be at least 1, got {batch_size}")
        if max_length is not None and max_length < 1:
            raise InputError(f"max length must be at least 1, got {max_length}")
        # One token over the limit is enough to know an input is cut; encoding stops there.
        encodings = self.source_tokenizer.encode_batch([str(t) for t in texts], max_tokens=self.max_source_length + 1)
        sources = [ids[: self.max_source_length] for ids in encodings]
        truncated = [len(ids) > self.max_source_length for ids in encodings]
        if (isinstance(self.longest_seen, int) and not self._warned_length
                and any(len(ids) > self.longest_seen for ids in sources)):
            self._warned_length = True
            log.warning("input sentences longer than any the model was trained on (%d tokens): expect a poorer "
                        "translation of them", self.longest_seen)
        if any(truncated):
            log.warning("%d input(s) longer than the model's %d source tokens were truncated",
                        sum(truncated), self.max_source_length)
        # Empty inputs (nothing left after normalisation) translate to empty outputs, model unused.
        hypotheses = [Hypothesis([], 0.0, None) for _ in texts]
        # Length buckets: similar lengths decode together (little padding, rows finish together).
        order = sorted((i for i, ids in enumerate(sources) if ids), key=lambda i: len(sources[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = [sources[i] for i in rows]
            limits = [self._limit(len(ids), max_length) for ids in batch]
            for row, hypothesis in zip(rows, self._decode(batch, limits, beam_size, attention)):
                hypotheses[row] = hypothesis
        return sources, hypotheses, truncated

    def _limit(self, source_length: int, max_length: int | None) -> int:
        limit = self.bundle.decode_length_limit(source_length)
        return min(limit, max_length) if max_length is not None else limit

    def _decode(self, batch: list[list[int]], limits: list[int], beam_size: int, attention: bool) -> list[Hypothesis]:
        if beam_size == 1:
            return greedy_decode(self.model, batch, limits, self.sos_id, self.eos_id, self.pad_id, attention)
        return beam_search(
            self.model, batch, limits, self.sos_id, self.eos_id, self.pad_id, beam_size, keep_attention=attention
        )


def _as_list(texts: str | Iterable[str]) -> list[str]:
    if isinstance(texts, str):
        return [texts]
    if isinstance(texts, bytes):
        raise InputError("texts must be str, not bytes: decode them first")
    return list(texts)


def _inner(separators: list[str]) -> list[str]:
    """The separators between sentences; a line's own leading and trailing whitespace is dropped,
    as translating a single sentence drops it."""
    return ["", *separators[1:-1], ""]


def _regroup(flat: list, splits: list[tuple[list[str], list[str]]]) -> Iterator[list]:
    position = 0
    for parts, _ in splits:
        yield flat[position : position + len(parts)]
        position += len(parts)


def _merge(parts: list[Translation], separators: list[str]) -> Translation:
    if len(parts) == 1:
        return parts[0]
    matrices = [p.attention for p in parts]
    attention = None
    if all(m is not None for m in matrices):
        attention = np.zeros((sum(m.shape[0] for m in matrices), sum(m.shape[1] for m in matrices)), dtype=np.float32)
        row = column = 0
        for m in matrices:
            attention[row : row + m.shape[0], column : column + m.shape[1]] = m
            row, column = row + m.shape[0], column + m.shape[1]
    return Translation(
        text=sentences.join_sentences([p.text for p in parts], separators),
        tokens=[t for p in parts for t in p.tokens],
        score=sum(p.score for p in parts),
        attention=attention,
        source_tokens=[t for p in parts for t in p.source_tokens],
        truncated=any(p.truncated for p in parts),
    )


def _chunks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    if isinstance(texts, str):  # one text, not a sequence of one-letter texts
        texts = [texts]
    chunk: list[str] = []
    for text in texts:
        chunk.append(text)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
