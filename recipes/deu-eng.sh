#!/usr/bin/env bash
# Build models/deu-eng: German->English on Multi30k (../shared/data/multi30k), evaluated on
# test_2016_flickr. Run from the repository root with the train extra installed.
set -euo pipefail
DATA="${DATA:-../shared/data/multi30k}"
RUN="${RUN:-runs/deu-eng}"
MINUTES="${MINUTES:-85}"
if [ -d "$RUN/checkpoint-last" ]; then
  s2s-train --train "$DATA/train" --out "$RUN" --resume --max-minutes "$MINUTES"
else
  s2s-train --train "$DATA/train" --valid "$DATA/val" --source-lang de --target-lang en --out "$RUN" \
            --max-minutes "$MINUTES" --epochs 40
fi
s2s-export "$RUN/checkpoint-best" --out models/deu-eng --quantize int8 --name deu-eng --force
for beam in 1 5; do
  s2s-eval -m models/deu-eng --source "$DATA/test_2016_flickr.de" --reference "$DATA/test_2016_flickr.en" --beam-size "$beam" --record
  s2s-eval -m models/deu-eng --source "$DATA/test_2016_flickr.de" --reference "$DATA/test_2016_flickr.en" --beam-size "$beam" --lowercase --record
done
