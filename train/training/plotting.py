"""Loss and BLEU curves of a training run, as a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_curves(history: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    # Runs validated mid-epoch (--valid-every) are drawn against optimizer steps.
    by_step = any(h.get("event") == "valid" for h in history)
    epochs = [h["step"] if by_step else h["epoch"] for h in history]
    # Markers: a run of one epoch has one point per curve, which a bare line would not draw.
    style = dict(marker="o", markersize=4)
    figure, loss_axis = plt.subplots(figsize=(7, 4))
    loss_axis.plot(epochs, [h["train_loss"] for h in history], label="train loss", color="tab:blue", **style)
    if any("valid_loss" in h for h in history):
        loss_axis.plot(epochs, [h.get("valid_loss") for h in history], label="valid loss", color="tab:orange", **style)
    loss_axis.set_xlabel("optimizer step" if by_step else "epoch")
    loss_axis.set_ylabel("cross-entropy (nats/token)")
    loss_axis.legend(loc="upper left")
    if any("valid_bleu" in h for h in history):
        bleu_axis = loss_axis.twinx()
        bleu_axis.plot(epochs, [h.get("valid_bleu") for h in history], label="valid BLEU", color="tab:green", **style)
        bleu_axis.set_ylabel("validation BLEU")
        bleu_axis.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
