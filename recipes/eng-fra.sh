#!/usr/bin/env bash
# Rebuild the bundled English->French model (models/eng-fra): Tatoeba train.tsv and train-extra.tsv
# (the longer sentences, up to ~300 characters) plus Multi30k train.en/train.fr (never a valid or
# test split), validated on valid.tsv, valid-long.tsv and Multi30k val, selected by their combined
# validation loss. Half the pairs that hold a name, a number or a code are given placeholders
# (--placeholders 0.5), so that the runtime can protect such items. Run from the repository root,
# with train/ installed (pip install . ./train):
#   pip install -e ".[dev]" -e ./train && bash recipes/eng-fra.sh
# bf16 runs the training forward pass in bfloat16: use it on CPUs with AMX (Intel Xeon 4th
# generation on), PRECISION=fp32 elsewhere. Pairs of up to 96 tokens a side are kept (the long
# Tatoeba sentences reach ~80). An interrupted run continues where it stopped (the script resumes it).
set -euo pipefail
DATA="${DATA:-../shared/data}"
RUN="${RUN:-runs/eng-fra}"
MINUTES="${MINUTES:-120}"
PRECISION="${PRECISION:-bf16}"
if [ -d "$RUN/checkpoint-last" ]; then
  s2s-train -o "$RUN" --resume --max-minutes "$MINUTES"
else
  s2s-train --train "$DATA/tatoeba-eng-fra/train.tsv" --train "$DATA/tatoeba-eng-fra/train-extra.tsv" \
            --train "$DATA/multi30k/train" \
            --valid "$DATA/tatoeba-eng-fra/valid.tsv" --valid "$DATA/tatoeba-eng-fra/valid-long.tsv" \
            --valid "$DATA/multi30k/val" \
            --source-lang en --target-lang fr -o "$RUN" --epochs 10 --max-minutes "$MINUTES" \
            --max-pair-tokens 96 --placeholders 0.5 --precision "$PRECISION" \
            --lr-decay-start 11000 --lr-decay-every 2500 --valid-bleu-samples 500
fi
s2s-export "$RUN/checkpoint-best" -o models/eng-fra --quantize int8 --source-lang en --target-lang fr \
           --one-call --name eng-fra --force
for beam in 1 5; do
  for test in test test-long; do
    s2s-eval -m models/eng-fra -i "$DATA/tatoeba-eng-fra/$test.tsv" --beam-size "$beam" --record
  done
  s2s-eval -m models/eng-fra -i "$DATA/multi30k/test_2016_flickr.en" \
           --reference "$DATA/multi30k/test_2016_flickr.fr" --beam-size "$beam" --record
done
