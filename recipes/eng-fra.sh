#!/usr/bin/env bash
# Rebuild the bundled English->French model (models/eng-fra): Tatoeba train.tsv plus Multi30k
# train.en/train.fr (never a valid or test split), validated on both valid sets, selected by their
# combined validation loss. Run from the repository root, with the train extra installed:
#   pip install -e ".[dev]" && bash recipes/eng-fra.sh
# 12 epochs are ~18,400 steps of 64 pairs, ~2 hours on a 2-core machine at 2.7 steps/s; the rate
# halves every 2,000 steps from step 10,000, the peer's schedule (docs/quality.md: every 2,000 from
# 8,000 of its 14,550 steps) stretched to this run's length so that it ends annealed.
# An interrupted run continues where it stopped (the script resumes it).
set -euo pipefail
DATA="${DATA:-../shared/data}"
RUN="${RUN:-runs/eng-fra}"
MINUTES="${MINUTES:-140}"
if [ -d "$RUN/checkpoint-last" ]; then
  s2s-train -o "$RUN" --resume --max-minutes "$MINUTES"
else
  s2s-train --train "$DATA/tatoeba-eng-fra/train.tsv" --train "$DATA/multi30k/train" \
            --valid "$DATA/tatoeba-eng-fra/valid.tsv" --valid "$DATA/multi30k/val" \
            --source-lang en --target-lang fr -o "$RUN" --epochs 12 --max-minutes "$MINUTES" \
            --lr-decay-start 10000 --lr-decay-every 2000 --valid-bleu-samples 1000
fi
s2s-export "$RUN/checkpoint-best" -o models/eng-fra --quantize int8 --source-lang en --target-lang fr \
           --one-call --name eng-fra --force
for beam in 1 5; do
  s2s-eval -m models/eng-fra -i "$DATA/tatoeba-eng-fra/test.tsv" --beam-size "$beam" --record
  s2s-eval -m models/eng-fra -i "$DATA/multi30k/test_2016_flickr.en" \
           --reference "$DATA/multi30k/test_2016_flickr.fr" --beam-size "$beam" --record
done
