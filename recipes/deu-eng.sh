#!/usr/bin/env bash
# Build models/deu-eng: German->English on the text users bring: Tatoeba's everyday sentences,
# Multi30k's captions, news, documentation and the interface strings of free software
# (../shared/data/corpora and Debian's packages, harvested by recipes/data/harvest_debian.py), mixed
# by recipes/data/build_mix.py from recipes/data/mix-deu-eng.tsv, which also keeps every validation
# and test sentence out of it. Validated every 4,000 steps on the news and software validation sets,
# Tatoeba deu-eng valid and Multi30k val, with placeholders (names, numbers and codes survive), then
# exported and scored. Run from the repository root with train/ installed; an interrupted run
# resumes when the script is run again.
#   bash recipes/deu-eng.sh                      # on the CPU (PRECISION=bf16 where it multiplies bfloat16)
#   DEVICE=cuda MINUTES=10 bash recipes/deu-eng.sh   # on a CUDA GPU (torch with CUDA)
# EVALUATE=0 stops after the export (the scores can be recorded later on another machine).
set -euo pipefail
DATA="${DATA:-../shared/data}"
RUN="${RUN:-runs/deu-eng}"
MIX="${MIX:-data/mix/deu-eng}"
MINUTES="${MINUTES:-120}"
DEVICE="${DEVICE:-cpu}"
PRECISION="${PRECISION:-bf16}"
EVALUATE="${EVALUATE:-1}"
CORPORA="$DATA/corpora"
bash recipes/data/prepare.sh recipes/data/mix-deu-eng.tsv "$MIX" de en
if [ -d "$RUN/checkpoint-last" ]; then
  s2s-train -o "$RUN" --resume --max-minutes "$MINUTES" --device "$DEVICE"
else
  s2s-train --train "$MIX/tatoeba.tsv" --train "$MIX/multi30k.tsv" --train "$MIX/news.tsv" \
            --train "$MIX/documentation.tsv" --train "$MIX/software.tsv" \
            --valid "$CORPORA/valid-news-de-en.tsv" --valid "$CORPORA/valid-software-de-en.tsv" \
            --valid "$DATA/tatoeba-deu-eng/valid.tsv" --valid "$DATA/multi30k/val" \
            --source-lang de --target-lang en -o "$RUN" --epochs 10 --max-minutes "$MINUTES" \
            --max-pair-tokens 96 --placeholders 0.5 --device "$DEVICE" --precision "$PRECISION" \
            --lr-decay-start 14000 --lr-decay-every 2500 --valid-every 4000 --valid-bleu-samples 200
fi
s2s-export "$RUN/checkpoint-best" -o models/deu-eng --quantize int8 --one-call --name deu-eng --force
[ "$EVALUATE" = 1 ] || exit 0
for beam in 1 5; do
  s2s-eval -m models/deu-eng -i "$DATA/tatoeba-deu-eng/test.tsv" --beam-size "$beam" --record
  s2s-eval -m models/deu-eng -i "$DATA/multi30k/test_2016_flickr.de" --reference "$DATA/multi30k/test_2016_flickr.en" \
           --beam-size "$beam" --record
  s2s-eval -m models/deu-eng -i "$DATA/multi30k/test_2016_flickr.de" --reference "$DATA/multi30k/test_2016_flickr.en" \
           --beam-size "$beam" --lowercase --record
done
for domain in news software; do
  s2s-eval -m models/deu-eng -i "$CORPORA/valid-$domain-de-en.tsv" --record
done
