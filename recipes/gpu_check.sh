#!/usr/bin/env bash
# The GPU checks (docs/performance.md, "GPU"), as one script for a machine with a CUDA GPU, PyTorch
# with CUDA, and Python packages but no network: onnxruntime-gpu comes as a tar.xz of its wheel's
# onnxruntime/ folder (split in parts, joined here), the data as copies under $GPU_DIR/data.
#   GPU_DIR=.gpu OUT=gpu-check bash recipes/gpu_check.sh
# 1. translate the Tatoeba test set with --device cuda and on the CPU: outputs compared, sentences/s at
#    batch 64 and ms/sentence at batch 1; 2. train on CUDA for a few minutes (fp32 and bf16) and on
#    the CPU for one, the same data and settings, and compare steps/s; 3. export the GPU-trained checkpoint.
set -uo pipefail
GPU_DIR="${GPU_DIR:-.gpu}"
OUT="${OUT:-gpu-check}"
SITE=/tmp/s2s-gpu-site
mkdir -p "$OUT" "$SITE"
if [ ! -d "$SITE/onnxruntime" ]; then
  cat "$GPU_DIR"/ort.tar.xz.part* | xz -d | tar x -C "$SITE" || exit 1
fi
python3 -m pip install -q --no-deps --no-build-isolation --no-index --target /tmp/s2s-gpu-pkg . >/dev/null || exit 1
export PYTHONPATH="$SITE:/tmp/s2s-gpu-pkg" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
python3 -c "import onnxruntime as o, torch; print('onnxruntime', o.__version__, o.get_available_providers()); print('torch', torch.__version__, torch.cuda.get_device_name(0))" | tee -a "$OUT/gpu.txt"

echo "== 1. translation, CUDA against CPU"
python3 recipes/gpu_check.py -m models/eng-fra -i "$GPU_DIR/data/test.tsv" -o "$OUT/translate" 2>&1 | tail -30

echo "== 2. training: cuda fp32, cuda bf16, cpu (same data, settings, minutes)"
MINUTES="${TRAIN_MINUTES:-1.5}"
for run in cuda-fp32:cuda:fp32 cuda-bf16:cuda:bf16 cpu-fp32:cpu:fp32; do
  IFS=: read -r name device precision <<<"$run"
  rm -rf "/tmp/runs/$name"
  python3 -m s2s.training --train "$GPU_DIR/data/train.tsv" --valid "$GPU_DIR/data/valid.tsv" \
      -o "/tmp/runs/$name" --device "$device" --precision "$precision" --max-minutes "$MINUTES" \
      --valid-bleu-samples 500 --save-every-minutes 0 > "$OUT/train-$name.log" 2>&1
  echo "$name: exit $?; $(tail -1 "$OUT/train-$name.log")"
  python3 - "$name" "/tmp/runs/$name/metrics.jsonl" <<'PY' | tee -a "$OUT/train-summary.txt"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[2])]
train = [r for r in rows if r.get("event") == "train"]
epochs = [r for r in rows if r.get("event") == "epoch"]
last = train[-1] if train else {}
print(sys.argv[1], "steps", last.get("step"), "in", last.get("elapsed_s"), "s:",
      round(last.get("step", 0) / max(last.get("elapsed_s", 1), 1e-9), 2), "steps/s;",
      "epochs", [(e["epoch"], round(e["valid_loss"], 3), round(e["valid_bleu"], 2)) for e in epochs])
PY
done

echo "== 3. export the CUDA-trained checkpoint (checked against PyTorch on the CPU)"
timeout 240 /tmp/s2s-gpu-pkg/bin/s2s-export /tmp/runs/cuda-fp32/checkpoint-last -o /tmp/runs/cuda-bundle \
    --source-lang en --target-lang fr 2>&1 | tail -4
echo "I am a student." | timeout 60 /tmp/s2s-gpu-pkg/bin/s2s-translate -m /tmp/runs/cuda-bundle --device cuda
