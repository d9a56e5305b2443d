"""A picture of a translation's attention: source tokens across, target tokens down.

Needs matplotlib (`pip install "s2s-onnx[plot]"`); nothing else of the runtime imports it.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..atomic import write_atomically
from ..decoding.translator import TranslationResult
from ..errors import InputError, OutputError

_SPACE_MARKER = "\u2581"


def _label(token: str) -> str:
    # The tokenizers' word-start marker reads as an underscore-like glyph; a leading space would
    # vanish on the axis, so word starts are shown plain and word-inner pieces with a joiner.
    if token == _SPACE_MARKER:
        return "␣"  # a space of its own (French puts one before "?")
    return token[1:] if token.startswith(_SPACE_MARKER) else "·" + token


def require_matplotlib():
    """matplotlib, or one line saying how to install it (checked before a run writes anything)."""
    try:
        import matplotlib
    except ImportError:
        raise InputError("attention pictures need matplotlib: pip install 's2s-onnx[plot]'") from None
    return matplotlib


def plot_attention(result: TranslationResult, path: Path) -> None:
    """Write the best hypothesis's attention of `result` (made by `translate_results(..., attention=True)`) as
    a labelled PNG heat-map at `path` (its folder made if needed), atomically."""
    matplotlib = require_matplotlib()
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    best = result.hypotheses[0]
    if best.attention is None:
        raise InputError("no attention weights: use translate_results(..., attention=True) (and a model with attention)")
    weights = best.attention
    rows = [_label(t) for t in best.tokens] + ["</s>"] * (weights.shape[0] - len(best.tokens))
    columns = [_label(t) for t in result.source_tokens]
    # About a third of an inch a token, so labels never overlap, within sensible bounds.
    width = min(max(3.0, 0.35 * len(columns) + 2.0), 40.0)
    height = min(max(2.5, 0.3 * len(rows) + 1.5), 40.0)
    figure, axis = plt.subplots(figsize=(width, height))
    image = axis.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    axis.set_xticks(range(len(columns)), columns, rotation=60, ha="left", rotation_mode="anchor", fontsize=9)
    axis.set_yticks(range(len(rows)), rows, fontsize=9)
    axis.xaxis.tick_top()
    axis.tick_params(axis="x", labelbottom=False, labeltop=True)
    axis.set_xlabel("source")
    axis.set_ylabel("translation")
    figure.colorbar(image, ax=axis, fraction=0.04, pad=0.02, label="attention")
    figure.tight_layout()
    image_bytes = io.BytesIO()
    try:
        figure.savefig(image_bytes, dpi=100, format="png")
    finally:
        plt.close(figure)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {path.parent}: {exc.strerror}") from None
    write_atomically(path, image_bytes.getvalue())  # the one atomic writer: a full or read-only disk is one line
