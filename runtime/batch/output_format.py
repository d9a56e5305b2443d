"""What one line of output is: the translation itself (text), or a JSON object (jsonl) with the
source, the n-best hypotheses (text, tokens, score) and, when asked, their alignments."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..decoding.translator import TranslationResult

FORMATS = ("text", "jsonl")
ALIGNMENTS = ("argmax", "full")


def format_line(result: "TranslationResult", output_format: str = "text", alignment: str | None = None) -> str:
    """`result` as one line (no newline). `alignment` ("argmax" or "full") needs a result made
    by `translate_results(..., attention=True)`."""
    if output_format == "text":
        return result.text
    record: dict = {"source": result.source, "source_tokens": result.source_tokens}
    if result.pivot is not None:
        # Through a pivot language: the first model's translation, which the n-best translate.
        record["pivot"] = result.pivot
    if result.truncated:
        record["truncated"] = True
    if result.protected:
        # What stood behind the placeholders ⟦1⟧.. (U+E001..) in source_tokens and tokens.
        record["protected"] = [{"kind": i.kind, "source": i.source, "output": i.output} for i in result.protected]
    hypotheses = []
    for hypothesis in result.hypotheses:
        # Scores and weights are rounded: their last digits carry no information, and short
        # lines stay short.
        entry: dict = {"text": hypothesis.text, "tokens": hypothesis.tokens, "score": _number(hypothesis.score)}
        if hypothesis.ranking is not None:
            # Beam search orders the n-best by this (score / length ** length_penalty), not by score.
            entry["rank_score"] = _number(hypothesis.ranking)
        if hypothesis.repaired:
            entry["repaired"] = hypothesis.repaired  # dropped by the model, put back by the attention alignment
        if alignment is not None:
            entry["alignment"] = hypothesis.alignment()
        if alignment == "full":
            assert hypothesis.attention is not None  # alignment() has checked
            weights = hypothesis.attention[: len(hypothesis.tokens)].astype("float64").round(4).tolist()
            entry["attention"] = [[w if math.isfinite(w) else None for w in row] for row in weights]
        hypotheses.append(entry)
    record["n_best"] = hypotheses
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


def _number(value: float) -> float | None:
    # JSON has no NaN or infinity (a damaged model's scores): null, so every line stays valid JSON.
    return round(value, 4) if math.isfinite(value) else None
