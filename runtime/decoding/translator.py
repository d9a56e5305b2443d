"""`Translator`: text in, text out, over a model bundle. The library API the CLI wraps."""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..bundle.contract import (
    BATCH_INVARIANT_ACTIVATIONS,
    ONE_CALL_MAX_BATCH,
    SOURCE_TOKENIZER,
    TARGET_TOKENIZER,
)
from ..bundle.reader import Bundle, load_bundle
from ..bundle.placeholders import PLACEHOLDER_PATTERN, placeholder_number
from ..bundle.store import pick_model, pick_route, resolve
from ..errors import BundleError, InputError
from . import sentences
from .onnx_model import OnnxSeq2Seq
from .options import DecodeOptions
from .pivot import PivotTranslator
from .protection import NOUN_CAPITALISING, ProtectedItem, ProtectedText, Protector, Terms, restore
from .search import BeamSearch, GreedySearch, Hypothesis, pad_batch, search
from .tokenizer import Tokenizer

log = logging.getLogger("s2s.runtime")

@dataclass
class Translation:
    """One hypothesis: a translation with its tokens and score."""

    text: str
    tokens: list[str]  # target subword tokens (without <eos>)
    score: float  # sum of the token log-probabilities (<eos> included when emitted)
    attention: np.ndarray | None = None  # [target tokens (+1 for <eos> when emitted), source tokens]
    repaired: int = 0  # protected items the model dropped, put back by the attention alignment
    # What orders a text's hypotheses: beam search's score / length ** length_penalty, summed over
    # the text's sentences (None: greedy decoding, where it is the score).
    ranking: float | None = None

    def alignment(self) -> list[int]:
        """For each target token, the source token it attends to most (an index into the
        result's `source_tokens`); needs `translate_results(..., attention=True)`."""
        if self.attention is None:
            raise InputError("no attention weights: use translate_results(..., attention=True) (and a model with attention)")
        if not self.tokens:  # an empty input (no source token to point at) or an immediate <eos>
            return []
        return [int(i) for i in self.attention[: len(self.tokens)].argmax(axis=1)]


@dataclass
class TranslationResult:
    """Everything about one input text: its `n_best` hypotheses, best first."""

    source: str
    source_tokens: list[str]
    hypotheses: list[Translation]
    truncated: bool = False  # the source was longer than the model's limit and was cut
    protected: list[ProtectedItem] = field(default_factory=list)  # what was kept out of the model's reach
    pivot: str | None = None  # through a pivot language: the first model's translation (decoding/pivot.py)

    @property
    def text(self) -> str:
        return self.hypotheses[0].text


class Translator:
    """Translate with a model bundle. Thread-safe: onnxruntime sessions may be run from several
    threads at once, and each call keeps its own decoding state."""

    def __init__(self, bundle: Bundle, device: str = "cpu", threads: int | None = None) -> None:
        self.bundle = bundle
        self.model = OnnxSeq2Seq(bundle, device=device, threads=threads)
        self.source_tokenizer = Tokenizer.from_bytes(bundle.read(SOURCE_TOKENIZER), SOURCE_TOKENIZER)
        self.target_tokenizer = Tokenizer.from_bytes(bundle.read(TARGET_TOKENIZER), TARGET_TOKENIZER)
        manifest = bundle.manifest
        for side, tokenizer, expected in (("source", self.source_tokenizer, manifest.architecture.source_vocab_size),
                                          ("target", self.target_tokenizer, manifest.architecture.target_vocab_size)):
            if tokenizer.vocab_size != expected:
                raise BundleError(f"{side} tokenizer has {tokenizer.vocab_size} tokens, the model expects {expected}")
        ids = manifest.special_ids
        self.pad_id, self.sos_id, self.eos_id = ids.pad, ids.sos, ids.eos
        self.max_source_length = manifest.decoding.max_source_length
        # Inputs longer than every training sentence get one warning per Translator.
        self.longest_seen = manifest.longest_training_source
        self._warned_length = False
        if manifest.precision == "int8" and manifest.activation_quantisation not in BATCH_INVARIANT_ACTIVATIONS:
            log.warning("%s quantises activations per tensor: a sentence's translation may change with its batch; "
                        "rewrite it with python -m s2s.export.requantize", bundle.origin)

    @classmethod
    def load(cls, model: str | Path | None = None, *, source_lang: str | None = None, target_lang: str | None = None,
             device: str = "cpu", threads: int | None = None) -> "Translator | PivotTranslator":
        """Load a bundle: a directory or .zip, the name of an installed model (`s2s-models list`),
        else the one installed model that translates `source_lang` into `target_lang`, else two
        that do it through a third language (a `PivotTranslator`, said once in a warning), else
        the bundled English->French model."""
        if model is None and source_lang is not None and target_lang is not None:
            route = pick_route(source_lang, target_lang)
            if len(route) == 2:
                pivot = PivotTranslator(cls(load_bundle(route[0]), device=device, threads=threads),
                                        cls(load_bundle(route[1]), device=device, threads=threads))
                log.warning("no installed model translates %s→%s: translating through %s (%s)", source_lang,
                            target_lang, pivot.pivot_language, pivot.describe())
                return pivot
            return cls(load_bundle(route[0]), device=device, threads=threads)
        return cls(load_bundle(resolve(pick_model(model, source_lang, target_lang))), device=device, threads=threads)

    # ---- public API ----------------------------------------------------------------------
    def translate(self, texts: str | Iterable[str], options: DecodeOptions | None = None,
                  **changes: Any) -> list[str]:
        """Translate each text, in input order (a single str counts as one text): one string per
        text, the best hypothesis. `translate_results` gives the hypotheses, tokens, scores and
        attention; both take the same options.

        How is `options` (a `DecodeOptions`), with any of its fields given by keyword on top:
        `beam_size`, `n_best`, `length_penalty`, `max_length`, `batch_size`, `split_sentences`,
        `protect`, `glossary`, `keep`.

        With `split_sentences`, a text holding several sentences is translated sentence by
        sentence and joined back with the whitespace that separated them. `max_length` caps the
        target tokens of each sentence (default: the bundle's rule by source length);
        `batch_size` changes speed only, never a translation.

        With `protect` (and a bundle trained with placeholders: `Manifest.protects`), numbers,
        names, codes, URLs, e-mail addresses and paths come through unchanged; `glossary` (source
        term -> target term, whole words, any case) puts the user's terms in, `keep` leaves the
        given terms untranslated (s2s.runtime.decoding.protection).
        """
        return [result.text for result in self._translated(texts, options, changes, attention=False, details=False)]

    def translate_results(self, texts: str | Iterable[str], options: DecodeOptions | None = None, *,
                          attention: bool = False, **changes: Any) -> list[TranslationResult]:
        """`translate`, with one `TranslationResult` per text: its `n_best` hypotheses (tokens,
        score, rank score), best first by `score / length ** length_penalty`, and with
        `attention` each hypothesis's attention matrix (a bundle with attention). A text split
        into sentences has the best joins of its sentences' own hypotheses (scores summed,
        attention block-diagonal)."""
        return self._translated(texts, options, changes, attention=attention, details=True)

    def _translated(self, texts: str | Iterable[str], options: DecodeOptions | None, changes: dict[str, Any],
                    attention: bool, details: bool) -> list[TranslationResult]:
        options = DecodeOptions.of(options, **changes)
        protector = self.protector(options.protect, Terms.of(options.glossary, options.keep))
        return self._results(_as_list(texts), options, attention, details, protector)

    def protector(self, protect: bool = True, terms: Terms = Terms()) -> Protector | None:
        """What `translate` protects with (None: nothing). Glossary and keep terms need a bundle
        trained with placeholders; without one, the default protection is simply off."""
        if not protect:
            if terms:
                raise InputError("a glossary or keep terms need protection on (drop --no-protect)")
            return None
        if not self.bundle.manifest.protects:
            if terms:
                raise InputError(f"{self.bundle.origin} was not trained with placeholders (s2s-train --placeholders), "
                                 "so it cannot take a glossary or keep terms")
            return None
        vocabulary = self.source_tokenizer
        return Protector(lambda word: vocabulary.token_to_id("\u2581" + word) is not None, terms,
                         names=(self.source_language or "")[:2].lower() not in NOUN_CAPITALISING)

    def translate_iterable(self, texts: Iterable[str], options: DecodeOptions | None = None, *,
                           chunk_size: int | None = None, **changes: Any) -> Iterator[str]:
        """`translate` over an iterable of any length, lazily, yielding in input order. Memory
        is bounded by `chunk_size` texts (default 16 batches) whatever the length of the input."""
        options = DecodeOptions.of(options, **changes)
        for chunk in _chunks(texts, chunk_size or options.batch_size * 16):
            yield from self.translate(chunk, options)

    @property
    def source_language(self) -> str | None:
        """The bundle's source language code (it picks the sentence splitter's abbreviations)."""
        return self.bundle.manifest.source_language

    # ---- internals -----------------------------------------------------------------------
    def _results(self, texts: list[str], options: DecodeOptions, attention: bool, details: bool,
                 protector: Protector | None = None) -> list[TranslationResult]:
        if options.split_sentences:
            splits = [sentences.split_sentences(text, self.source_language) for text in texts]
        else:
            splits = [([text], ["", ""]) for text in texts]
        flat = [s for parts, _ in splits for s in parts]
        protected = [protector.protect(s) if protector else ProtectedText(s) for s in flat]
        sources, hypotheses, truncated = self._run_protected(protected, options, attention)
        texts_of = [[self._restored(p, source, h, attention) for h in group]
                    for p, source, group in zip(protected, sources, hypotheses)]
        results, position = [], 0
        for text, (parts, separators) in zip(texts, splits):
            span = range(position, position + len(parts))
            position += len(parts)
            hypotheses_of_text = [
                self._joined([hypotheses[i][k] for i, k in zip(span, choice)],
                             [texts_of[i][k] for i, k in zip(span, choice)], _inner(separators), details)
                for choice in _best_choices([[h.rank for h in hypotheses[i]] for i in span], options.n_best)
            ]
            source_tokens = ([self.source_tokenizer.id_to_token(t) for i in span for t in sources[i]]
                             if details else [])
            results.append(TranslationResult(text, source_tokens, hypotheses_of_text, any(truncated[i] for i in span),
                                             [item for i in span for item in protected[i].items]))
        return results

    def _run_protected(self, protected: list[ProtectedText], options: DecodeOptions, attention: bool
                       ) -> tuple[list[list[int]], list[list[Hypothesis]], list[bool]]:
        """`_run` over the protected sentences; those holding placeholders are decoded with
        attention (what repairs a dropped placeholder). A sentence's translation never depends
        on which group it is decoded in."""
        with_items = [i for i, p in enumerate(protected) if p.items]
        if not with_items or attention or self.bundle.manifest.architecture.attention == "none":
            return self._run([p.text for p in protected], options, attention)
        plain = [i for i, p in enumerate(protected) if not p.items]
        sources: list = [None] * len(protected)
        hypotheses: list = [None] * len(protected)
        truncated: list = [False] * len(protected)
        for rows, keep_attention in ((with_items, True), (plain, False)):
            if not rows:
                continue
            part = self._run([protected[i].text for i in rows], options, keep_attention)
            for position, row in enumerate(rows):
                sources[row], hypotheses[row], truncated[row] = (part[0][position], part[1][position], part[2][position])
        return sources, hypotheses, truncated

    def _restored(self, protected: ProtectedText, source: list[int], hypothesis: Hypothesis, attention: bool) -> str:
        """The text of `hypothesis` with the protected items back in place (its `repaired` count set)."""
        pieces = self.target_tokenizer.decode_pieces(hypothesis.token_ids)
        output = "".join(pieces)
        if not protected.items:
            return output
        ends = list(itertools.accumulate(len(p) for p in pieces))
        positions = {}
        for column, index in enumerate(source):
            found = PLACEHOLDER_PATTERN.search(self.source_tokenizer.id_to_token(index) or "")
            if found:
                positions.setdefault(placeholder_number(found.group()), column)
        result = restore(protected, output, ends, positions, hypothesis.attention)
        hypothesis.repaired = result.repaired
        if not attention:
            hypothesis.attention = None  # taken for the repair only
        return result.text

    def _joined(self, parts: list[Hypothesis], texts: list[str], separators: list[str], details: bool) -> Translation:
        """One hypothesis of a whole text from one hypothesis of each of its sentences."""
        text = sentences.join_sentences(texts, separators) if len(texts) > 1 else texts[0]
        repaired = sum(part.repaired for part in parts)
        if not details:
            return Translation(text, [], 0.0, repaired=repaired)
        rankings = [part.ranking for part in parts]
        return Translation(
            text=text,
            repaired=repaired,
            ranking=None if None in rankings else sum(rankings),
            tokens=[self.target_tokenizer.id_to_token(t) for part in parts for t in part.token_ids],
            score=sum(part.score for part in parts),
            # Rows are target tokens: an inner sentence's <eos> row has no token of the text.
            attention=_block_diagonal([None if part.attention is None else part.attention[: len(part.token_ids)]
                                       for part in parts[:-1]] + [parts[-1].attention]),
        )

    def _run(self, texts: list[str], options: DecodeOptions, attention: bool
             ) -> tuple[list[list[int]], list[list[Hypothesis]], list[bool]]:
        """Tokenise, decode in length buckets, and return (source ids, n-best hypotheses, truncated) in input order."""
        if options.beam_size > self.target_tokenizer.vocab_size:
            raise InputError(f"beam size {options.beam_size} is larger than the target vocabulary "
                             f"({self.target_tokenizer.vocab_size} tokens)")
        if attention and self.bundle.manifest.architecture.attention == "none":
            raise InputError(f"{self.bundle.origin} has no attention, so no attention weights or alignments")
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
        empty = np.zeros((0, 0), dtype=np.float32) if attention else None
        hypotheses = [[Hypothesis([], 0.0, empty)] for _ in texts]
        # Length buckets: similar lengths decode together (little padding, rows finish together).
        order = sorted((i for i, ids in enumerate(sources) if ids), key=lambda i: len(sources[i]))
        for start in range(0, len(order), options.batch_size):
            rows = order[start : start + options.batch_size]
            batch = [sources[i] for i in rows]
            limits = [self._limit(len(ids), options.max_length) for ids in batch]
            for row, best in zip(rows, self._decode(batch, limits, options, attention)):
                hypotheses[row] = best
        return sources, hypotheses, truncated

    def _limit(self, source_length: int, max_length: int | None) -> int:
        limit = self.bundle.manifest.decoding.limit(source_length)
        return min(limit, max_length) if max_length is not None else limit

    def _decode(self, batch: list[list[int]], limits: list[int], options: DecodeOptions,
                attention: bool) -> list[list[Hypothesis]]:
        if (options.beam_size == 1 and not attention and self.model.has_one_call and len(batch) <= ONE_CALL_MAX_BATCH
                and all(limit == self.bundle.manifest.decoding.limit(len(ids)) for ids, limit in zip(batch, limits))):
            ids, lengths = pad_batch(batch, self.pad_id)
            output, emitted, scores = self.model.decode_greedy(ids, lengths)
            return [[Hypothesis(output[row, : emitted[row]].tolist(), float(scores[row]))] for row in range(len(batch))]
        if options.beam_size == 1:
            strategy = GreedySearch(limits, self.sos_id, self.eos_id, keep_attention=attention)
        else:
            strategy = BeamSearch(limits, self.sos_id, self.eos_id, options.beam_size, options.length_penalty,
                                  keep_attention=attention, n_best=options.n_best)
        return search(self.model, batch, self.pad_id, strategy)


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


def _best_choices(ranks: list[list[float]], n: int) -> list[tuple[int, ...]]:
    """The `n` best ways to pick one hypothesis per sentence, by summed rank score: index
    tuples into each sentence's list (each sorted best first), the all-best choice first."""
    if len(ranks) == 1:
        return [(k,) for k in range(min(n, len(ranks[0])))]
    start = (0,) * len(ranks)
    heap = [(-sum(r[0] for r in ranks), start)]
    seen, chosen = {start}, []
    while heap and len(chosen) < n:
        _, choice = heapq.heappop(heap)
        chosen.append(choice)
        for sentence, k in enumerate(choice):
            if k + 1 < len(ranks[sentence]):
                following = choice[:sentence] + (k + 1,) + choice[sentence + 1:]
                if following not in seen:
                    seen.add(following)
                    heapq.heappush(heap, (-sum(r[i] for r, i in zip(ranks, following)), following))
    return chosen


def _block_diagonal(matrices: list[np.ndarray | None]) -> np.ndarray | None:
    """The attention of a text from its sentences': each sentence attends to its own tokens only."""
    if any(m is None for m in matrices):
        return None
    if len(matrices) == 1:
        return matrices[0]
    attention = np.zeros((sum(m.shape[0] for m in matrices), sum(m.shape[1] for m in matrices)), dtype=np.float32)
    row = column = 0
    for m in matrices:
        attention[row : row + m.shape[0], column : column + m.shape[1]] = m
        row, column = row + m.shape[0], column + m.shape[1]
    return attention


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
