"""Reading parallel text (TSV or line-aligned file pairs) and batching it for training."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from s2s.runtime.errors import InputError
from s2s.runtime.line_reader import read_lines, read_pairs

from .errors import TrainingInputError
from .memories import is_memory, read_memory
from .tokenization import EOS_ID, PAD_ID, SOS_ID


@dataclass
class ParallelText:
    sources: list[str]
    targets: list[str]
    skipped_empty: int = 0
    skipped_long: int = 0  # pairs with a side too long for any model to use


def _read_lines(path: Path) -> list[str]:
    try:
        return read_lines(path)
    except InputError as exc:
        raise TrainingInputError(str(exc)) from None


def read_parallel(path: str | Path, source_lang: str | None = None, target_lang: str | None = None) -> ParallelText:
    """Read sentence pairs.

    A translation memory (a PO catalogue, XLIFF, TMX, or `SOURCE.json:TARGET.json`) is read as
    memories.py says. A `path` that is a file is a TSV file, `source<TAB>target[<TAB>...]`. Otherwise, with both
    languages given, it is a prefix: PATH.<source_lang> and PATH.<target_lang> are read line by
    line. Pairs with an empty side are skipped and counted.
    """
    if (source_lang is None) != (target_lang is None):
        raise TrainingInputError("give both --source-lang and --target-lang, or neither (for a TSV file)")
    if is_memory(str(path)):
        pairs = read_memory(str(path), source_lang, target_lang)
        return ParallelText([s for s, _ in pairs], [t for _, t in pairs])
    path = Path(path)
    if not path.is_file() and source_lang is not None and target_lang is not None:
        source_path = path.with_name(f"{path.name}.{source_lang}")
        target_path = path.with_name(f"{path.name}.{target_lang}")
        sources, targets = _read_lines(source_path), _read_lines(target_path)
        if len(sources) != len(targets):
            raise TrainingInputError(
                f"line counts differ: {source_path} has {len(sources)}, {target_path} has {len(targets)}"
            )
    else:
        try:
            pairs = read_pairs(path)
        except InputError as exc:
            raise TrainingInputError(str(exc)) from None
        sources, targets = [source for source, _ in pairs], [target for _, target in pairs]
    kept_sources, kept_targets = [], []
    for source, target in zip(sources, targets):
        if source.strip() and target.strip():
            kept_sources.append(source.strip())
            kept_targets.append(target.strip())
    if not kept_sources:
        raise TrainingInputError(f"empty corpus: no sentence pairs in {path}")
    return ParallelText(kept_sources, kept_targets, skipped_empty=len(sources) - len(kept_sources))


def read_corpora(paths: list[str], source_lang: str | None = None, target_lang: str | None = None) -> ParallelText:
    """Several corpora (each as `read_parallel` reads it), concatenated in the order given."""
    if not paths:
        raise TrainingInputError("no corpus given")
    combined = ParallelText([], [], 0)
    for path in paths:
        corpus = read_parallel(path, source_lang, target_lang)
        combined.sources.extend(corpus.sources)
        combined.targets.extend(corpus.targets)
        combined.skipped_empty += corpus.skipped_empty
    return combined


@dataclass
class Batch:
    source: torch.Tensor  # [batch, src_len] int64, padded with PAD_ID
    source_lengths: torch.Tensor  # [batch] int64
    target_in: torch.Tensor  # [batch, tgt_len] <sos> y1 .. yn (padded)
    target_out: torch.Tensor  # [batch, tgt_len] y1 .. yn <eos> (padded)
    indices: list[int]  # positions of the pairs in the dataset

    @property
    def target_tokens(self) -> int:
        return int((self.target_out != PAD_ID).sum())

    def to(self, device: torch.device) -> "Batch":
        """The batch's tensors on `device` (itself when they are there already)."""
        if self.source.device == device:
            return self
        return Batch(self.source.to(device), self.source_lengths.to(device), self.target_in.to(device),
                     self.target_out.to(device), self.indices)


def pad(sequences: list[list[int]], value: int = PAD_ID) -> torch.Tensor:
    width = max((len(s) for s in sequences), default=0)
    out = torch.full((len(sequences), max(width, 1)), value, dtype=torch.long)
    for row, seq in enumerate(sequences):
        if seq:
            out[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    return out


def make_batch(source_ids: list[list[int]], target_ids: list[list[int]], indices: list[int]) -> Batch:
    return Batch(
        source=pad([source_ids[i] for i in indices]),
        source_lengths=torch.tensor([len(source_ids[i]) for i in indices], dtype=torch.long),
        target_in=pad([[SOS_ID] + target_ids[i] for i in indices]),
        target_out=pad([target_ids[i] + [EOS_ID] for i in indices]),
        indices=list(indices),
    )


def batch_order(lengths: list[int], batch_size: int, generator: torch.Generator) -> list[list[int]]:
    """Shuffled batches of similar-length examples (little padding, random order).

    Examples are shuffled, sorted by length within pools of 50 batches, cut into batches,
    and the batches shuffled. Deterministic given the generator's state.
    """
    permutation = torch.randperm(len(lengths), generator=generator).tolist()
    pool = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(permutation), pool):
        chunk = sorted(permutation[start : start + pool], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    order = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in order]


def sequential_batches(lengths: list[int], batch_size: int) -> Iterator[list[int]]:
    """Batches in length order (for evaluation: deterministic, little padding)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]
