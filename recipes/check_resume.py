"""Check on real data that an interrupted and resumed training run ends exactly where an
uninterrupted one does: same parameters (bit for bit), same losses, same validation BLEU.

    python recipes/check_resume.py --train ../shared/data/multi30k/train --valid ../shared/data/multi30k/val \
        --source-lang de --target-lang en --attention luong --steps 600 --stop-at 350

The default 600 steps cross an epoch boundary on Multi30k (453 batches of 64), so the resumed
leg restores the mid-epoch data order, the optimiser, the learning-rate state and the RNG.
Needs train/ installed (s2s-onnx-train). Exit status 0 when the runs match, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

from s2s.training import TrainConfig, load_checkpoint
from s2s.training.trainer import Trainer


def train(out: Path, args: argparse.Namespace, steps: int) -> None:
    config = TrainConfig(train=args.train, valid=args.valid, source_lang=args.source_lang,
                         target_lang=args.target_lang, out=str(out), max_steps=steps, epochs=100,
                         valid_bleu_samples=args.valid_bleu_samples)
    Trainer.start(config, {"attention": args.attention}).run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--valid")
    parser.add_argument("--source-lang")
    parser.add_argument("--target-lang")
    parser.add_argument("--attention", default="bahdanau")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--stop-at", type=int, default=350)
    parser.add_argument("--valid-bleu-samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="s2s-resume-check-") as work:
        full, part = Path(work) / "full", Path(work) / "part"
        train(full, args, args.steps)
        train(part, args, args.stop_at)
        Trainer.resume(part, max_steps=args.steps).run()
        a, b = load_checkpoint(full / "checkpoint-last"), load_checkpoint(part / "checkpoint-last")
        a_params, b_params = a.model.state_dict(), b.model.state_dict()
        differing = [name for name in a_params if not torch.equal(a_params[name], b_params[name])]
        same_history = [
            (h["train_loss"], h.get("valid_bleu")) for h in a.state.history
        ] == [(h["train_loss"], h.get("valid_bleu")) for h in b.state.history]
        print(f"uninterrupted: step {a.state.step}, epoch {a.state.epoch}; "
              f"stopped at {args.stop_at} and resumed: step {b.state.step}, epoch {b.state.epoch}")
        print(f"parameters identical: {not differing} ({len(a_params) - len(differing)}/{len(a_params)} tensors); "
              f"epoch losses and validation BLEU identical: {same_history}")
        for h in b.state.history:
            print(f"  epoch {h['epoch']}: train loss {h['train_loss']:.6f}, valid BLEU {h.get('valid_bleu')}")
        return 0 if not differing and same_history and a.state.step == b.state.step else 1


if __name__ == "__main__":
    sys.exit(main())
