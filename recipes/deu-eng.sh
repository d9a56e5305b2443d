#!/usr/bin/env bash
# Build models/deu-eng: German->English on Tatoeba German-English (everyday sentences) and Multi30k
# (image captions), validated on both valid sets, with placeholders (names, numbers and codes
# survive), then exported and scored on Tatoeba deu-eng test.tsv and Multi30k test_2016_flickr
# (cased and lowercased). Run from the repository root with train/ installed (pip install . ./train); an
# interrupted run resumes when the script is run again.
#   bash recipes/deu-eng.sh                      # on the CPU (PRECISION=bf16 on CPUs with AMX)
#   DEVICE=cuda MINUTES=4.3 bash recipes/deu-eng.sh   # on a CUDA GPU (torch with CUDA)
# EVALUATE=0 stops after the export (the scores can be recorded later on another machine).
set -euo pipefail
DATA="${DATA:-../shared/data}"
RUN="${RUN:-runs/deu-eng}"
MINUTES="${MINUTES:-120}"
DEVICE="${DEVICE:-cpu}"
PRECISION="${PRECISION:-fp32}"
EVALUATE="${EVALUATE:-1}"
if [ -d "$RUN/checkpoint-last" ]; then
  s2s-train -o "$RUN" --resume --max-minutes "$MINUTES" --device "$DEVICE"
else
  s2s-train --train "$DATA/tatoeba-deu-eng/train.tsv" --train "$DATA/multi30k/train" \
            --valid "$DATA/tatoeba-deu-eng/valid.tsv" --valid "$DATA/multi30k/val" \
            --source-lang de --target-lang en -o "$RUN" --epochs 10 --max-minutes "$MINUTES" \
            --max-pair-tokens 96 --placeholders 0.5 --device "$DEVICE" --precision "$PRECISION" \
            --lr-decay-start 11000 --lr-decay-every 2500 --valid-bleu-samples 500
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
