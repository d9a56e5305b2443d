#!/usr/bin/env bash
# Build models/fra-eng: French->English on the English->French mix read the other way
# (recipes/data/mix-eng-fra.tsv through recipes/data/build_mix.py --reverse: Tatoeba, Multi30k,
# Canadian parliament debates, news, documentation and free software's interface strings, every
# validation and test sentence kept out), validated every 4,000 steps on news, software and
# parliament (reversed), Tatoeba's valid and valid-long (reversed) and Multi30k val, with
# placeholders, then exported and scored. Hansard's French was re-accented by a program: sound
# as a source, as here. Run from the repository root with train/ installed; an interrupted run
# resumes when the script is run again.
#   bash recipes/fra-eng.sh && s2s-models install models/fra-eng
# Not package data (the runtime install stays small): installed from the repository path.
set -euo pipefail
DATA="${DATA:-../shared/data}"
RUN="${RUN:-runs/fra-eng}"
MIX="${MIX:-data/mix/fra-eng}"
MINUTES="${MINUTES:-120}"
PRECISION="${PRECISION:-bf16}"
SWAPPED="$RUN/data"
mkdir -p "$SWAPPED"
swap() { awk -F'\t' 'BEGIN { OFS = "\t" } { print $2, $1 }' "$1" > "$2"; }
for name in valid valid-long test test-long; do
  [ -f "$SWAPPED/$name.tsv" ] || swap "$DATA/tatoeba-eng-fra/$name.tsv" "$SWAPPED/$name.tsv"
done
for domain in news software parliament; do
  [ -f "$SWAPPED/valid-$domain.tsv" ] || swap "$DATA/corpora/valid-$domain-en-fr.tsv" "$SWAPPED/valid-$domain.tsv"
done
bash recipes/data/prepare.sh recipes/data/mix-eng-fra.tsv "$MIX" en fr --reverse
if [ -d "$RUN/checkpoint-last" ]; then
  s2s-train -o "$RUN" --resume --max-minutes "$MINUTES"
else
  s2s-train --train "$MIX/tatoeba.tsv" --train "$MIX/multi30k.tsv" --train "$MIX/parliament.tsv" \
            --train "$MIX/news.tsv" --train "$MIX/documentation.tsv" --train "$MIX/software.tsv" \
            --valid "$SWAPPED/valid-news.tsv" --valid "$SWAPPED/valid-software.tsv" \
            --valid "$SWAPPED/valid-parliament.tsv" --valid "$SWAPPED/valid.tsv" --valid "$SWAPPED/valid-long.tsv" \
            --valid "$DATA/multi30k/val" \
            --source-lang fr --target-lang en -o "$RUN" --epochs 10 --max-minutes "$MINUTES" \
            --max-pair-tokens 96 --placeholders 0.5 --precision "$PRECISION" \
            --lr-decay-start 14000 --lr-decay-every 2500 --valid-every 4000 --valid-bleu-samples 200
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
for domain in news software parliament; do
  s2s-eval -m models/fra-eng -i "$SWAPPED/valid-$domain.tsv" --record
done
