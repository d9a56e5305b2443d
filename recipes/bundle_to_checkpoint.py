"""A PyTorch checkpoint with an int8 bundle's weights, for the PyTorch side of `s2s-bench --torch`
when the training checkpoint of a shipped bundle is no longer at hand.

    python recipes/bundle_to_checkpoint.py models/eng-fra -o runs/eng-fra-from-bundle

The weights are read back by `s2s.training.from_bundle` (the mapping `s2s-train --init-from`
uses). PyTorch then decodes with fp32 activations where the bundle quantises them per row,
so a few sentences come out differently: the script prints how many of the first 500 lines of
`--check` agree with the bundle. Only GRU models with Luong attention and one layer, the shape
of the shipped bundles, are mapped.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from s2s.runtime import Translator, load_bundle
from s2s.training import TrainConfig
from s2s.training.checkpoint import TrainerState, save_checkpoint
from s2s.training.decoding import greedy_decode
from s2s.training.from_bundle import model_from_bundle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True, help="checkpoint directory to write")
    parser.add_argument("--check", type=Path, default=Path("../shared/data/tatoeba-eng-fra/test.tsv"))
    args = parser.parse_args()
    bundle = load_bundle(args.bundle)
    model, _, source, target = model_from_bundle(args.bundle)
    model.eval()
    save_checkpoint(args.output, model, TrainConfig(train=[], out=str(args.output)), TrainerState(), source, target)

    lines = [line.split("\t")[0] for line in args.check.read_text(encoding="utf-8").splitlines()[:500]]
    translator = Translator(bundle)
    ids = translator.source_tokenizer.encode_batch(lines, max_tokens=translator.max_source_length)
    with torch.inference_mode():
        decoded = greedy_decode(model, ids)
    runtime = translator.translate(lines, split_sentences=False)
    decoded = translator.target_tokenizer.decode_batch(decoded)
    same = sum(a == b for a, b in zip(decoded, runtime))
    print(f"wrote {args.output}: PyTorch greedy output identical to the bundle's for {same} of {len(lines)} "
          f"lines of {args.check}")


if __name__ == "__main__":
    main()
