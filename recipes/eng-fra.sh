#!/usr/bin/env bash
# Rebuild the bundled English->French model (models/eng-fra) on the text users bring: Tatoeba's
# everyday sentences, Multi30k's captions, Canadian parliament debates, news, documentation and
# the interface strings of free software (../shared/data/corpora and Debian's packages, harvested
# by recipes/data/harvest_debian.py), mixed by recipes/data/build_mix.py from
# recipes/data/mix-eng-fra.tsv, which also keeps every validation and test sentence out of it.
# Validated every 4,000 steps (an epoch of the mix outlasts a run) on the news, software and
# parliament validation sets, Tatoeba's valid and valid-long and Multi30k val; selected by their
# combined validation loss. Half the pairs that hold a name, a number or a code are given
# placeholders (--placeholders 0.5), so that the runtime can protect such items. Run from the
# repository root, with train/ installed:
#   pip install -e ".[dev]" -e ./train && bash recipes/eng-fra.sh
# bf16 runs the training forward pass in bfloat16: use it on CPUs with bfloat16 arithmetic (AMX, or
# AVX-512 BF16: 1.8x the tokens a second of fp32 measured on an AMD EPYC), PRECISION=fp32 elsewhere.
# An interrupted run continues where it stopped (the script resumes it); MINUTES bounds each call.
set -euo pipefail
DATA="${DATA:-../shared/data}"
RUN="${RUN:-runs/eng-fra}"
MIX="${MIX:-data/mix/eng-fra}"
MINUTES="${MINUTES:-120}"
PRECISION="${PRECISION:-bf16}"
bash recipes/data/prepare.sh recipes/data/mix-eng-fra.tsv "$MIX" en fr
CORPORA="$DATA/corpora"
if [ -d "$RUN/checkpoint-last" ]; then
  s2s-train -o "$RUN" --resume --max-minutes "$MINUTES"
else
  s2s-train --train "$MIX/tatoeba.tsv" --train "$MIX/multi30k.tsv" --train "$MIX/parliament.tsv" \
            --train "$MIX/news.tsv" --train "$MIX/documentation.tsv" --train "$MIX/software.tsv" \
            --valid "$CORPORA/valid-news-en-fr.tsv" --valid "$CORPORA/valid-software-en-fr.tsv" \
            --valid "$CORPORA/valid-parliament-en-fr.tsv" \
            --valid "$DATA/tatoeba-eng-fra/valid.tsv" --valid "$DATA/tatoeba-eng-fra/valid-long.tsv" \
            --valid "$DATA/multi30k/val" \
            --source-lang en --target-lang fr -o "$RUN" --epochs 10 --max-minutes "$MINUTES" \
            --max-pair-tokens 96 --placeholders 0.5 --precision "$PRECISION" \
            --lr-decay-start 14000 --lr-decay-every 2500 --valid-every 4000 --valid-bleu-samples 200
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
for domain in news software parliament; do
  s2s-eval -m models/eng-fra -i "$CORPORA/valid-$domain-en-fr.tsv" --record
done
