#!/usr/bin/env bash
# The fine-tuning benchmark: a localisation team's own memory makes the model theirs.
# KiCad's English->French interface strings (../shared/data/corpora/kicad_l10n_enfr.tsv, kept out of
# the shipped models' training for this) are split by string, seeded: 20% held out for scoring, the
# other 80% the team's memory (a tenth of it kept apart to pick the checkpoint). The shipped model is
# scored on the held-out strings, on Tatoeba test.tsv and on valid-news-en-fr, then fine-tuned on the
# memory for MINUTES on this machine's cores (with REPLAY of its own training data mixed back in),
# exported, and scored again. Run from the repository root, with train/ installed:
#   MINUTES=10 REPLAY=0.75 LR=2e-4 bash recipes/finetune_bench.sh   (docs/quality.md has what each gave)
set -euo pipefail
DATA="${DATA:-../shared/data}"
BASE="${BASE:-models/eng-fra}"
WORK="${WORK:-runs/finetune-kicad}"
MINUTES="${MINUTES:-10}"
REPLAY="${REPLAY:-0.75}"
LR="${LR:-2e-4}"
mkdir -p "$WORK"
python - "$DATA/corpora/kicad_l10n_enfr.tsv" "$WORK" <<'EOF'
import random, sys
from pathlib import Path
source, work = Path(sys.argv[1]), Path(sys.argv[2])
pairs = [line for line in source.read_text(encoding="utf-8").splitlines() if "\t" in line]
strings = sorted({line.split("\t")[0] for line in pairs})
random.Random(2026).shuffle(strings)
held_out = set(strings[: len(strings) // 5])
dev = set(strings[len(strings) // 5 : len(strings) // 5 + len(strings) // 10])
split = {"test": [], "dev": [], "memory": []}
for line in pairs:
    english = line.split("\t")[0]
    split["test" if english in held_out else "dev" if english in dev else "memory"].append(line)
for name, lines in split.items():
    (work / f"kicad-{name}.tsv").write_text("".join(l + "\n" for l in lines), encoding="utf-8")
    print(f"kicad-{name}.tsv: {len(lines):,} pairs", file=sys.stderr)
EOF
score() {  # score MODEL LABEL: greedy BLEU on the held-out strings, Tatoeba test and news
  for set in "$WORK/kicad-test.tsv" "$DATA/tatoeba-eng-fra/test.tsv" "$DATA/corpora/valid-news-en-fr.tsv"; do
    printf '%s\t%s\t' "$2" "$(basename "$set")"
    s2s-eval -m "$1" -i "$set" --json | python -c "import json, sys; print(round(json.load(sys.stdin)['bleu'], 2))"
  done
}
score "$BASE" before | tee "$WORK/scores.tsv"
rm -rf "$WORK/run"
s2s-train --init-from "$BASE" --train "$WORK/kicad-memory.tsv" --valid "$WORK/kicad-dev.tsv" \
          --source-lang en --target-lang fr -o "$WORK/run" --max-minutes "$MINUTES" --replay "$REPLAY" \
          --lr "$LR" --lr-decay-start 1000000 --placeholders 0.5 --valid-every 200 --early-stopping 3
s2s-export "$WORK/run/checkpoint-best" -o "$WORK/bundle" --quantize int8 --source-lang en --target-lang fr \
           --one-call --name eng-fra-kicad --force
score "$WORK/bundle" after | tee -a "$WORK/scores.tsv"
