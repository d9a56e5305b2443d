#!/usr/bin/env bash
# A model's training mix, built once: Debian's localisation harvested (recipes/data/harvest_debian.py)
# if data/debian/ does not hold it yet, then the mix (recipes/data/build_mix.py) if OUT does not.
#   bash recipes/data/prepare.sh MIX_FILE OUT SOURCE TARGET [--reverse]
# e.g. bash recipes/data/prepare.sh recipes/data/mix-eng-fra.tsv data/mix/eng-fra en fr
set -euo pipefail
MIX_FILE="$1"; OUT="$2"; SOURCE="$3"; TARGET="$4"; shift 4
DATA="${DATA:-../shared/data}"
if [ ! -f data/debian/harvest.json ]; then
  python recipes/data/harvest_debian.py -o data/debian
fi
if [ ! -f "$OUT/mix.json" ]; then
  python recipes/data/build_mix.py "$MIX_FILE" -o "$OUT" --data "$DATA" --harvest data/debian \
         --languages "$SOURCE" "$TARGET" "$@"
fi
