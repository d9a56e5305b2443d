"""Translation through a third language: X→Z with one model, then Z→Y with another, when no
installed model translates X→Y directly (`Translator.load(source_lang=, target_lang=)` builds it).

What the results mean through a pivot: each hypothesis is one of the second model's n-best for the
first model's best translation (`TranslationResult.pivot`), and its score is the second model's
log-probability of it given that text; the first leg's score is not added (the two models' scales
differ). Glossary target terms are inserted by the first leg and kept unchanged by the second, as
keep terms are; attention weights do not exist across the two models.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from .options import DecodeOptions

if TYPE_CHECKING:
    from ..bundle.reader import Bundle
    from .translator import TranslationResult, Translator

log = logging.getLogger("s2s.runtime")


class PivotTranslator:
    """`first` (source → pivot language) then `second` (pivot → target), with Translator's API."""

    def __init__(self, first: "Translator", second: "Translator") -> None:
        self.first, self.second = first, second

    @property
    def bundles(self) -> "tuple[Bundle, Bundle]":
        return self.first.bundle, self.second.bundle

    @property
    def bundle(self) -> "Bundle":
        """The bundle whose output the user gets (the second leg's)."""
        return self.second.bundle

    @property
    def source_language(self) -> str | None:
        return self.first.source_language

    @property
    def pivot_language(self) -> str | None:
        return self.first.bundle.manifest.target_language

    def describe(self) -> str:
        return (f"{self.first.bundle.origin.name} then {self.second.bundle.origin.name}, through "
                f"{self.pivot_language or '?'}")

    def translate(self, texts: str | Iterable[str], options: DecodeOptions | None = None,
                  **changes: Any) -> list[str]:
        return [result.text for result in self._translated(texts, options, changes, details=False)]

    def translate_results(self, texts: str | Iterable[str], options: DecodeOptions | None = None, *,
                          attention: bool = False, **changes: Any) -> "list[TranslationResult]":
        if attention:
            raise InputError(f"no attention weights through a pivot ({self.describe()}): translate with one model")
        return self._translated(texts, options, changes, details=True)

    def _translated(self, texts: str | Iterable[str], options: DecodeOptions | None, changes: dict[str, Any],
                    details: bool) -> "list[TranslationResult]":
        texts = [texts] if isinstance(texts, str) else list(texts)
        options = DecodeOptions.of(options, **changes)
        first = dataclasses.replace(options, n_best=1)
        # The first leg wrote the glossary's target terms: the second must not translate them again.
        second = dataclasses.replace(options, glossary=(), keep=(*options.keep, *(t for _, t in options.glossary)))
        middle = self.first.translate(texts, first)
        results = self.second._translated(middle, second, {}, attention=False, details=details)
        for result, text, pivot in zip(results, texts, middle):
            result.source, result.pivot = text, pivot
        return results

    def translate_iterable(self, texts: Iterable[str], options: DecodeOptions | None = None, *,
                           chunk_size: int | None = None, **changes: Any) -> Iterator[str]:
        from .translator import _chunks

        options = DecodeOptions.of(options, **changes)
        for chunk in _chunks(texts, chunk_size or options.batch_size * 16):
            yield from self.translate(chunk, options)
