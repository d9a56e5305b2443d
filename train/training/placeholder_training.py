"""Teaching the model to carry placeholders: the training side of protection.

In a share of the training pairs, spans that must come through a translation unchanged are
replaced on both sides by the same placeholder (s2s.runtime.bundle.placeholders): words written
identically on both sides that hold a digit or start with a capital (names, numbers, codes:
"Tom", "2019", "LH1234"), and number words where both sides say the same number ("three" and
"trois"). The placeholder numbers are drawn at random for each pair, so every one of the 16 is
learnt, although the runtime numbers a sentence's items from ⟦1⟧. The choice of pairs and
numbers depends on the seed alone: a resumed run sees the same data.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from tokenizers import Tokenizer

from s2s.runtime.bundle.placeholders import PLACEHOLDER_COUNT, PLACEHOLDERS

from .errors import TrainingInputError

# What the augmentation replaces; recorded in the checkpoint and the bundle manifest.
RULES: tuple[str, ...] = ("identical-capitalised-word", "identical-word-with-digit", "number-word")

# Number words from two to twelve (one is also an article in every language here).
NUMBER_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
    "fr": ("deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze"),
    "de": ("zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf"),
}

_WORD = re.compile(r"\w[\w.,:/@-]*\w|\w")


@dataclass
class AugmentedText:
    sources: list[str]
    targets: list[str]
    pairs_with_placeholders: int


def _candidates(source: str, target: str, source_lang: str | None, target_lang: str | None) -> list[tuple[str, str]]:
    """(source span, target span) pairs to protect, in source order, at most PLACEHOLDER_COUNT."""
    target_words = set(_WORD.findall(target))
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for word in _WORD.findall(source):
        if word in seen:
            continue
        protectable = any(c.isdigit() for c in word) or (len(word) > 1 and word[0].isupper())
        if protectable and word in target_words:
            found.append((word, word))
            seen.add(word)
    source_numbers, target_numbers = NUMBER_WORDS.get(source_lang or ""), NUMBER_WORDS.get(target_lang or "")
    if source_numbers and target_numbers:
        lowered_source = {w.lower(): w for w in _WORD.findall(source)}
        lowered_target = {w.lower(): w for w in target_words}
        for source_word, target_word in zip(source_numbers, target_numbers):
            if source_word in lowered_source and target_word in lowered_target and lowered_source[source_word] not in seen:
                found.append((lowered_source[source_word], lowered_target[target_word]))
                seen.add(lowered_source[source_word])
    found.sort(key=lambda pair: source.find(pair[0]))
    return found[:PLACEHOLDER_COUNT]


def _replace_word(text: str, word: str, replacement: str) -> str:
    return re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", replacement, text)


def add_placeholders(sources: list[str], targets: list[str], share: float, seed: int,
                     source_lang: str | None = None, target_lang: str | None = None) -> AugmentedText:
    """The corpus with `share` of its pairs given placeholders where they have something to protect."""
    if not 0.0 <= share <= 1.0:
        raise TrainingInputError(f"the placeholder share must be in [0, 1], got {share}")
    if share == 0.0:
        return AugmentedText(list(sources), list(targets), 0)
    rng = random.Random(seed)
    out_sources, out_targets, changed = [], [], 0
    for source, target in zip(sources, targets):
        # Both draws happen for every pair, so one pair's content never shifts another's choice.
        chosen = rng.random() < share
        numbers = rng.sample(range(PLACEHOLDER_COUNT), PLACEHOLDER_COUNT)
        spans = _candidates(source, target, source_lang, target_lang) if chosen else []
        for (source_span, target_span), number in zip(spans, numbers):
            source = _replace_word(source, source_span, PLACEHOLDERS[number])
            target = _replace_word(target, target_span, PLACEHOLDERS[number])
        changed += bool(spans)
        out_sources.append(source)
        out_targets.append(target)
    return AugmentedText(out_sources, out_targets, changed)


def tokenizer_seed_lines(copies: int = 64) -> list[str]:
    """Lines added to the tokenizer's training text (never to the model's) so that every
    placeholder is one token both after a space ("▁⟦n⟧") and glued to punctuation ("⟦n⟧")."""
    return [f"{p} ({p})" for p in PLACEHOLDERS] * copies


def check_atomic(tokenizer: Tokenizer) -> None:
    """Raise TrainingInputError unless each placeholder encodes to exactly one token, spaced or not."""
    for p in PLACEHOLDERS:
        spaced = tokenizer.encode(f"x {p}", add_special_tokens=False).tokens
        glued = tokenizer.encode(f"({p})", add_special_tokens=False).tokens
        if spaced[-1] != f"\u2581{p}" or p not in glued:
            raise TrainingInputError(
                f"the tokenizer splits placeholder U+{ord(p):04X} ({spaced}, {glued}); use a larger --vocab-size")
