#!/usr/bin/env bash
# Build models/fra-eng: French->English on the English-French data reversed: Tatoeba train.tsv and
# train-extra.tsv (their columns swapped into runs/fra-eng/data/) plus Multi30k train.fr/train.en,
# validated on valid.tsv, valid-long.tsv (swapped) and Multi30k val, with placeholders (names,
# numbers and codes survive), then exported and scored on Tatoeba test.tsv and test-long.tsv
# (swapped) and Multi30k test_2016_flickr fr->en. Run from the repository root with train/ installed
# (pip install . ./train); an interrupted run resumes when the script is run again.
#   bash recipes/fra-eng.sh && s2s-models install models/fra-eng
# Not package data (the runtime install stays small): installed from the repository path.
set -euo pipefail
DATA="${DATA:-../shared/data}"
RUN="${RUN:-runs/fra-eng}"
MINUTES="${MINUTES:-120}"
PRECISION="${PRECISION:-bf16}"
SWAPPED="$RUN/data"
mkdir -p "$SWAPPED"
for name in train train-extra valid valid-long test test-long; do
  [ -f "$SWAPPED/$name.tsv" ] || awk -F'\t' 'BEGIN { OFS = "\t" } { print $2, $1 }' \
      "$DATA/tatoeba-eng-fra/$name.tsv" > "$SWAPPED/$name.tsv"
done
if [ -d "$RUN/checkpoint-last" ]; then
  s2s-train -o "$RUN" --resume --max-minutes "$MINUTES"
else
  s2s-train --train "$SWAPPED/train.tsv" --train "$SWAPPED/train-extra.tsv" --train "$DATA/multi30k/train" \
            --valid "$SWAPPED/valid.tsv" --valid "$SWAPPED/valid-long.tsv" --valid "$DATA/multi30k/val" \
            --source-lang fr --target-lang en -o "$RUN" --epochs 10 --max-minutes "$MINUTES" \
            --max-pair-tokens 96 --placeholders 0.5 --precision "$PRECISION" \
            --lr-decay-start 11000 --lr-decay-every 2500 --valid-bleu-samples 500
fi
s2s-export "$RUN/checkpoint-best" -o models/fra-eng --quantize int8 --source-lang fr --target-lang en \
           --one-call --name fra-eng --force
for beam in 1 5; do
  for test in test test-long; do
    s2s-eval -m models/fra-eng -i "$SWAPPED/$test.tsv" --beam-size "$beam" --record
  done
  s2s-eval -m models/fra-eng -i "$DATA/multi30k/test_2016_flickr.fr" \
           --reference "$DATA/multi30k/test_2016_flickr.en" --beam-size "$beam" --record
done
