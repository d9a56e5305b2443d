"""`DecodeOptions`: how to translate, as one object from the command line through batch jobs and
worker processes to the search (CTranslate2's `translate_batch` options, OpenNMT-py's `opt`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InputError

# A beam wider than this buys nothing for an RNN translator and costs memory and time linearly
# (beam x source length x hidden size per sentence); --beam-size is refused above it.
MAX_BEAM_SIZE = 64


@dataclass(frozen=True)
class DecodeOptions:
    beam_size: int = 1  # 1: greedy decoding
    n_best: int = 1  # hypotheses kept per text (at most beam_size)
    # Beam search ranks finished hypotheses by score / length ** length_penalty (length with
    # <eos>): 1 is the mean token log-probability, 0 the raw score (favours short outputs).
    length_penalty: float = 1.0
    max_length: int | None = None  # most target tokens per sentence; None: the bundle's length rule
    batch_size: int = 64  # sentences decoded together: speed only, never the output
    split_sentences: bool = True
    protect: bool = True  # placeholders for names, numbers, codes... (with a bundle trained for them)
    glossary: tuple[tuple[str, str], ...] = ()  # (source term, target term)
    keep: tuple[str, ...] = ()  # do-not-translate terms

    def __post_init__(self) -> None:
        for name, low, high in (("beam_size", 1, MAX_BEAM_SIZE), ("n_best", 1, MAX_BEAM_SIZE),
                                ("batch_size", 1, 1 << 20), ("max_length", 1, 100_000)):
            value = getattr(self, name)
            if value is None and name == "max_length":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                shown = {"n_best": "n-best"}.get(name, name.replace("_", " "))
                raise InputError(f"{shown} must be an integer from {low} to {high}, got {value!r}")
        if self.n_best > self.beam_size:
            raise InputError(f"n-best must be between 1 and the beam size ({self.beam_size}), got {self.n_best}")
        penalty = self.length_penalty
        if isinstance(penalty, bool) or not isinstance(penalty, (int, float)) or not 0.0 <= penalty <= 10.0:
            raise InputError(f"length penalty must be a number from 0 to 10, got {penalty!r}")
        # Glossaries arrive as dicts or lists from callers; held as tuples (hashable, picklable).
        object.__setattr__(self, "glossary", _pairs(self.glossary))
        object.__setattr__(self, "keep", tuple(self.keep))

    @classmethod
    def of(cls, options: "DecodeOptions | None" = None, **changes: Any) -> "DecodeOptions":
        """`options` (default: the defaults) with `changes` applied; unknown names are an error."""
        base = options or cls()
        unknown = set(changes) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise TypeError(f"unknown decoding option(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(base, **changes) if changes else base

    def fingerprint(self) -> dict[str, Any]:
        """What of these options decides the output (a resumed job must share it): all but the batch
        size, the user's terms as a digest."""
        record = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if f.name not in ("batch_size", "glossary", "keep")}
        if self.glossary or self.keep:
            terms = json.dumps([list(map(list, self.glossary)), list(self.keep)], ensure_ascii=False)
            record["terms_sha256"] = hashlib.sha256(terms.encode()).hexdigest()
        return record


def _pairs(glossary: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> tuple[tuple[str, str], ...]:
    if glossary is None:
        return ()
    items = glossary.items() if isinstance(glossary, Mapping) else glossary
    return tuple((source, target) for source, target in items)
