#!/usr/bin/env bash
# Rebuild the bundled English->French model (models/eng-fra) from ../shared/data/tatoeba-eng-fra.
# Run from the repository root, in an environment with the train extra: pip install -e ".[train]"
set -euo pipefail
DATA="${DATA:-../shared/data/tatoeba-eng-fra}"
RUN="${RUN:-runs/eng-fra}"
MINUTES="${MINUTES:-75}"
if [ -d "$RUN/checkpoint-last" ]; then
  s2s-train --out "$RUN" --resume --max-minutes "$MINUTES"
else
  s2s-train --train "$DATA/train.tsv" --valid "$DATA/valid.tsv" --out "$RUN" --attention luong \
            --max-minutes "$MINUTES" --epochs 40
fi
s2s-export "$RUN/checkpoint-best" --out models/eng-fra --quantize int8 --source-lang en --target-lang fr --name eng-fra --force
s2s-eval -m models/eng-fra --test "$DATA/test.tsv" --record
s2s-eval -m models/eng-fra --test "$DATA/test.tsv" --beam-size 5 --record
