"""What a model was trained on, for its manifest and model card: corpora, sizes, domains and the
source-length distribution (which the runtime uses to warn about inputs far out of range)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from s2s.training.checkpoint import Checkpoint
from s2s.training.data import read_parallel
from s2s.training.errors import TrainingInputError
from s2s.training.tokenization import encode

# The project's reference corpora, recognised by path: what their text is like (the first key a
# path holds wins; their lengths are measured, below, not described).
KNOWN_DOMAINS = {
    # The groups of a training mix (recipes/data/build_mix.py writes data/mix/<model>/<group>.tsv).
    "/parliament.tsv": "Canadian House and Senate debates (Hansard, 1997-2000; its French accents restored by a "
                       "program)",
    "/news.tsv": "news (WMT news test sets 2008-2013) and news and Wikipedia sentences (UD PUD)",
    "/documentation.tsv": "technical documentation and desktop help (Python, GNOME, phpMyAdmin, LibreOffice)",
    "/software.tsv": "interface strings of free software (Godot, Magento, git and the catalogues of Debian packages)",
    "train-extra": "longer everyday sentences and dialogue from the Tatoeba project (2019 release)",
    "tatoeba-eng-fra/train.tsv": "short everyday sentences and dialogue from the Tatoeba project (English side at "
                                 "most 30 characters)",
    "tatoeba": "everyday sentences and dialogue from the Tatoeba project",
    "multi30k": "one-sentence descriptions of photographs (Flickr30k): people, animals, street and sports scenes",
}


def domain_of(path: str) -> str | None:
    lowered = path.lower()
    return next((text for key, text in KNOWN_DOMAINS.items() if key in lowered), None)


def _percentiles(values: list[int]) -> dict[str, int]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": ordered[-1]}


def shown_path(path: str) -> str:
    """A training corpus's path as the model card shows it: relative to where the export runs
    when the corpus lies there or beside it (a checkout's ../shared/data), so that a card does not
    carry one machine's directories (s2s-train keeps absolute paths, for --resume from anywhere);
    anywhere else, the absolute path, normalised."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith(os.path.join(os.pardir, os.pardir)) else os.path.normpath(path)


def mix_sources(path: str) -> list[dict[str, Any]] | None:
    """The sources of a training mix's group file, with their licences and how many pairs each
    gave (from the mix.json beside it); None for any other corpus."""
    record = Path(path).parent / "mix.json"
    if not record.is_file():
        return None
    try:
        sources = json.loads(record.read_text(encoding="utf-8")).get("sources", {})
    except (OSError, ValueError):
        return None
    group = Path(path).stem
    found = [{"source": name.replace("{harvest}/", "debian: "), "pairs": entry.get("in_mix"),
              "licence": entry.get("licence")}
             for name, entry in sources.items() if isinstance(entry, dict) and entry.get("group") == group]
    return found or None


def training_data_summary(checkpoint: Checkpoint) -> dict[str, Any] | None:
    """Corpora (pairs, domain) and source lengths in tokens and words; None when the training
    data is no longer readable."""
    config = checkpoint.train_config
    corpora = []
    token_lengths: list[int] = []
    word_lengths: list[int] = []
    for path in config.train:
        try:
            pairs = read_parallel(path, config.source_lang, config.target_lang)
        except TrainingInputError:
            return None
        lengths = [len(ids) for ids in encode(checkpoint.source_tokenizer, pairs.sources)]
        kept = [n for n in lengths if 0 < n <= config.max_length]
        token_lengths += kept
        word_lengths += [len(s.split()) for s, n in zip(pairs.sources, lengths) if 0 < n <= config.max_length]
        corpora.append({"path": shown_path(path), "pairs": len(kept), "domain": domain_of(path),
                        "sources": mix_sources(path)})
    if not token_lengths:
        return None
    return {
        "corpora": corpora,
        "pairs": len(token_lengths),
        "source_tokens": _percentiles(token_lengths),
        "source_words": _percentiles(word_lengths),
    }
