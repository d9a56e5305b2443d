#!/usr/bin/env bash
# One row of the trainer's ablation table (docs/quality.md): train on Tatoeba train.tsv alone with
# the baseline configuration plus one lever's flags, within the quality issue's budget (72 minutes,
# 2 threads), then export fp32 and int8 bundles and score both on Tatoeba test.tsv.
#
#   bash recipes/tatoeba_ablation.sh base                      # the trainer's defaults
#   bash recipes/tatoeba_ablation.sh tied --tie-embeddings     # one lever changed
#
# The baseline is sized to a 2-core machine doing ~1.7 steps a second on Tatoeba: 5 epochs of
# 1,079 steps (~53 minutes with validation, inside the 72-minute budget, so that no run loses a
# partial epoch to the time limit whatever the lever costs), the rate halved at step 2,900 and
# then every 600 steps: the peer's schedule (from step 8,000 of 14,550, every 2,000) scaled to
# this length, so that every run ends annealed. Later flags win, so a lever may override these.
# An interrupted run continues where it stopped (the script resumes it); the run directory is
# runs/abl-NAME, and the last line printed is the table row.
set -euo pipefail
NAME="${1:?usage: tatoeba_ablation.sh NAME [s2s-train flags of the lever]}"
shift
DATA="${DATA:-../shared/data/tatoeba-eng-fra}"
RUN="${RUN:-runs/abl-$NAME}"
if [ -d "$RUN/checkpoint-last" ]; then
  s2s-train -o "$RUN" --resume --max-minutes 72
else
  s2s-train --train "$DATA/train.tsv" --valid "$DATA/valid.tsv" --source-lang en --target-lang fr -o "$RUN" \
            --epochs 5 --lr-decay-start 2900 --lr-decay-every 600 --valid-bleu-samples 1000 --threads 2 \
            --max-minutes 72 "$@"
fi
s2s-export "$RUN/checkpoint-best" -o "$RUN/bundle-fp32" --name "abl-$NAME" --force
s2s-export "$RUN/checkpoint-best" -o "$RUN/bundle-int8" --name "abl-$NAME" --quantize int8 --force
score() {  # bundle beam -> "BLEU / chrF"
  s2s-eval -m "$RUN/$1" -i "$DATA/test.tsv" --beam-size "$2" --threads 2 --json --quiet \
    | python -c 'import json, sys; r = json.load(sys.stdin); print("%.2f / %.2f" % (r["bleu"], r["chrf"]))'
}
fp32="$(score bundle-fp32 1)"
int8="$(score bundle-int8 1)"
beam="$(score bundle-int8 5)"
python - "$RUN/metrics.jsonl" "$NAME" "$fp32" "$int8" "$beam" <<'EOF'
import json, sys
path, name, fp32, int8, beam = sys.argv[1:]
epochs = [r for r in map(json.loads, open(path, encoding="utf-8")) if r.get("event") == "epoch"]
best_loss = min(epochs, key=lambda r: r["valid_loss"])
best_bleu = max(epochs, key=lambda r: r["valid_bleu"])
minutes = epochs[-1]["elapsed_s"] / 60
print(f"| {name} | {len(epochs)} epochs, step {epochs[-1]['step']:,}, {minutes:.1f} min | "
      f"epoch {best_loss['epoch']} (valid loss {best_loss['valid_loss']:.3f}; BLEU would pick {best_bleu['epoch']}) | "
      f"{fp32} | {int8} | {beam} |")
EOF
