#!/usr/bin/env bash
# The peer baseline of docs/quality.md: OpenNMT-py 3.5.1 on Tatoeba English->French with the same
# architecture family and budget as our trainer (bidirectional GRU encoder, hidden 512 = 2 x 256,
# embeddings 256, GRU decoder, Luong "general" attention without input feeding, bridge;
# sentencepiece BPE 8,000 per side; dropout 0.3, label smoothing 0.1; Adam 1e-3 halved every
# 2,000 steps from step 8,000; batch 64 sentences; gradient norm 1.0), trained for MINUTES on this
# machine, the checkpoint with the best validation perplexity scored with sacreBLEU (and its
# translation time and peak memory, by /usr/bin/time).
#
# OpenNMT-py lives in its own virtual environment; it is never a dependency of s2s-onnx.
# Run from the repository root:   bash recipes/opennmt_baseline.sh
# Smoke test (a few steps):       STEPS=30 MINUTES=3 TEST_LINES=50 bash recipes/opennmt_baseline.sh
#
# CORPUS picks the training set:
#   tatoeba   Tatoeba train.tsv, validated on valid.tsv, scored on test.tsv (the earlier peer run);
#   extended  the set models/eng-fra trains on (recipes/eng-fra.sh): Tatoeba train.tsv and
#             train-extra.tsv plus Multi30k train, validated on valid.tsv, valid-long.tsv and Multi30k
#             val (one file), scored on test.tsv and test-long.tsv, with eng-fra.sh's schedule (the
#             rate halves every 2,500 steps from step 11,000) and its 120 minutes:
#             CORPUS=extended MINUTES=120 WORK=runs/opennmt-extended bash recipes/opennmt_baseline.sh
set -euo pipefail
DATA="${DATA:-../shared/data/tatoeba-eng-fra}"
MULTI30K="${MULTI30K:-../shared/data/multi30k}"
CORPUS="${CORPUS:-tatoeba}"
WORK="${WORK:-runs/opennmt}"
VENV="${VENV:-$WORK/venv}"
MINUTES="${MINUTES:-72}"
STEPS="${STEPS:-1000000}"   # the time budget ends training; STEPS only for smoke tests
THREADS="${THREADS:-2}"
TEST_LINES="${TEST_LINES:-0}"  # 0: the whole test set; a number: its first lines (smoke tests)
mkdir -p "$WORK"

if [ ! -x "$VENV/bin/onmt_train" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q torch==2.13.0           # the CPU build from this machine's disk
  # --no-deps: OpenNMT-py pins versions of torch and friends that would pull a CUDA build.
  "$VENV/bin/pip" install -q --no-deps OpenNMT-py==3.5.1 configargparse pyyaml sacrebleu six sentencepiece \
      portalocker regex tabulate colorama lxml numpy
  "$VENV/bin/pip" install -q --no-deps pyonmttok
fi
# onmt/transforms/__init__.py imports every transform; one of them needs spacy. Guard that import.
init="$("$VENV/bin/python" -c 'import importlib.util as u; print(u.find_spec("onmt").submodule_search_locations[0])')/transforms/__init__.py"
"$VENV/bin/python" - "$init" <<'EOF'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
if "# guarded by the s2s-onnx recipe" not in text:
    text, count = re.subn(r"(?m)^(\s*)(module = )?importlib\.import_module\((.*)\)$",
                          r"\1try:  # guarded by the s2s-onnx recipe\n\1    \2importlib.import_module(\3)\n"
                          r"\1except ImportError:\n\1    pass", text)
    assert count == 1, "onmt/transforms/__init__.py changed: guard its import by hand"
    open(path, "w", encoding="utf-8").write(text)
EOF
PY="$VENV/bin/python"
export TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1   # OpenNMT-py 3.5 checkpoints hold pickled options

# Plain text sides, sentencepiece BPE models (8,000 per side).
case "$CORPUS" in
  tatoeba)
    TESTS="test"; START_DECAY="${START_DECAY:-8000}"; DECAY_STEPS="${DECAY_STEPS:-2000}"
    for split in train valid test; do
      cut -f1 "$DATA/$split.tsv" > "$WORK/$split.en"
      cut -f2 "$DATA/$split.tsv" > "$WORK/$split.fr"
    done ;;
  extended)
    TESTS="test test-long"; START_DECAY="${START_DECAY:-11000}"; DECAY_STEPS="${DECAY_STEPS:-2500}"
    cut -f1 "$DATA/train.tsv" "$DATA/train-extra.tsv" | cat - "$MULTI30K/train.en" > "$WORK/train.en"
    cut -f2 "$DATA/train.tsv" "$DATA/train-extra.tsv" | cat - "$MULTI30K/train.fr" > "$WORK/train.fr"
    cut -f1 "$DATA/valid.tsv" "$DATA/valid-long.tsv" | cat - "$MULTI30K/val.en" > "$WORK/valid.en"
    cut -f2 "$DATA/valid.tsv" "$DATA/valid-long.tsv" | cat - "$MULTI30K/val.fr" > "$WORK/valid.fr"
    for split in test test-long; do
      cut -f1 "$DATA/$split.tsv" > "$WORK/$split.en"
      cut -f2 "$DATA/$split.tsv" > "$WORK/$split.fr"
    done ;;
  *) echo "CORPUS must be tatoeba or extended, not '$CORPUS'" >&2; exit 2 ;;
esac
if [ "$TEST_LINES" -gt 0 ]; then
  for split in $TESTS; do
    for lang in en fr; do
      head -n "$TEST_LINES" "$WORK/$split.$lang" > "$WORK/$split.$lang.tmp" && mv "$WORK/$split.$lang.tmp" "$WORK/$split.$lang"
    done
  done
fi
for lang in en fr; do
  [ -f "$WORK/spm.$lang.model" ] || "$PY" -c "import sentencepiece as s; s.SentencePieceTrainer.train(input='$WORK/train.$lang', model_prefix='$WORK/spm.$lang', vocab_size=8000, model_type='bpe', character_coverage=1.0)"
done

cat > "$WORK/config.yaml" <<EOF
save_data: $WORK/data
src_vocab: $WORK/vocab.en
tgt_vocab: $WORK/vocab.fr
overwrite: true
data:
  corpus_1: {path_src: $WORK/train.en, path_tgt: $WORK/train.fr, transforms: [sentencepiece]}
  valid: {path_src: $WORK/valid.en, path_tgt: $WORK/valid.fr, transforms: [sentencepiece]}
src_subword_model: $WORK/spm.en.model
tgt_subword_model: $WORK/spm.fr.model
save_model: $WORK/model
model_type: text
encoder_type: brnn
decoder_type: rnn
rnn_type: GRU
enc_layers: 1
dec_layers: 1
hidden_size: 512
word_vec_size: 256
global_attention: general
input_feed: 0
bridge: true
dropout: [0.3]
label_smoothing: 0.1
optim: adam
learning_rate: 0.001
start_decay_steps: $START_DECAY
decay_steps: $DECAY_STEPS
learning_rate_decay: 0.5
batch_size: 64
batch_type: sents
valid_batch_size: 64
max_grad_norm: 1.0
train_steps: $STEPS
valid_steps: 500
save_checkpoint_steps: $(( STEPS < 500 ? STEPS : 500 ))
keep_checkpoint: -1
report_every: 100
seed: 1234
EOF

"$VENV/bin/onmt_build_vocab" -config "$WORK/config.yaml" -n_sample -1 > "$WORK/build_vocab.log" 2>&1
started=$(date +%s)
# The budget is wall-clock, as for s2s-train --max-minutes.
OMP_NUM_THREADS="$THREADS" timeout "${MINUTES}m" "$VENV/bin/onmt_train" -config "$WORK/config.yaml" \
    > "$WORK/train.log" 2>&1 || [ $? -eq 124 ]
echo "trained $(( ($(date +%s) - started) / 60 )) minutes; log: $WORK/train.log"

# The checkpoint with the best validation perplexity (OpenNMT-py logs one per validation).
best_step="$("$PY" - "$WORK/train.log" <<'EOF'
import re, sys
log = open(sys.argv[1], encoding="utf-8").read()
steps = [int(s) for s in re.findall(r"Step (\d+)/", log)]
best, best_step = None, None
for match in re.finditer(r"Validation perplexity: ([\d.]+)", log):
    before = [int(s) for s in re.findall(r"Step (\d+)/", log[: match.start()])]
    step = (before[-1] // 500) * 500 if before else 0
    if best is None or float(match.group(1)) < best:
        best, best_step = float(match.group(1)), step
print(best_step if best_step is not None else "")
EOF
)"
if [ -z "$best_step" ]; then  # no validation ran (a smoke test): the last checkpoint
  model="$(ls -v "$WORK"/model_step_*.pt 2>/dev/null | tail -1)"
  [ -n "$model" ] || { echo "no checkpoint was saved in the time given; see $WORK/train.log" >&2; exit 1; }
  best_step="${model##*_step_}"; best_step="${best_step%.pt}"
fi
model="$WORK/model_step_${best_step}.pt"
echo "best validation perplexity at step $best_step: $model"

for split in $TESTS; do
  for beam in 1 5; do
    start=$(date +%s.%N)
    OMP_NUM_THREADS="$THREADS" /usr/bin/time -f "%M" -o "$WORK/translate.$split.beam$beam.rss_kb" \
        "$VENV/bin/onmt_translate" -model "$model" -src "$WORK/$split.en" \
        -output "$WORK/$split.beam$beam.fr" -beam_size "$beam" -batch_size 64 \
        -transforms sentencepiece -src_subword_model "$WORK/spm.en.model" -tgt_subword_model "$WORK/spm.fr.model" \
        > "$WORK/translate.$split.beam$beam.log" 2>&1
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    echo "$split, beam $beam: $(wc -l < "$WORK/$split.en") sentences in $seconds s (model load included)," \
         "peak RSS $(( $(cat "$WORK/translate.$split.beam$beam.rss_kb") / 1024 )) MiB"
    "$VENV/bin/sacrebleu" "$WORK/$split.fr" -i "$WORK/$split.beam$beam.fr" -m bleu chrf -b -w 2
  done
done
