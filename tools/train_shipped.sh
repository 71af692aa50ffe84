#!/usr/bin/env bash
# Train the models shipped in jitsr/weights with the project's training command, the same data and the same step
# budget, then write them (tools/ship_weights.py) and their training logs (results/shipped/NAME.jsonl).
#
#   bash tools/train_shipped.sh [edsr-baseline] [swinir-light] [jitsr]     # default: all three, about 55 min on 2 CPU cores
#
# Data: the bundled training photos and the ImageNet sample of ../shared/data, each folder split by jitsr-train's
# hash (--val-frac 0.1): the held-out tenth is never trained on, and `jitsr-eval --split val` measures on it.
# Budget: STEPS optimiser steps of BATCH crops for every model (each model's usual crop: 96 px for EDSR-baseline,
# 64 for SwinIR-light, the training size its recipe gives JiT-SR). Runs go to $WORK (default /tmp/jitsr-shipped).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-800}
BATCH=${BATCH:-16}
WORK=${WORK:-/tmp/jitsr-shipped}
DATA="data/photos/train ../shared/data/imagenet-sample"
COMMON="--steps $STEPS --batch-size $BATCH --schedule cosine --warmup-steps 20 --seed 0 --cache --no-progress --log-every 50 --ckpt-every 200 --eval-every 0 --max-val-images 8"

declare -A ARGS=(
  [edsr-baseline]="--model edsr-baseline --model-kwargs {\"bicubic_skip\":true} --hr-size 96 --learning-rate 4e-4"
  [swinir-light]="--model swinir-light --model-kwargs {\"bicubic_skip\":true} --hr-size 64 --learning-rate 4e-4"
  [jitsr]="--model jitsr-T/4-concat --model-kwargs {\"hr_size\":64} --learning-rate 5e-4"
)
for name in "${@:-edsr-baseline swinir-light jitsr}"; do
  for n in $name; do
    out="$WORK/$n"
    cmd="jitsr-train ${ARGS[$n]} $COMMON --data $DATA --out $out"
    echo "== $cmd"
    if [ -f "$out/checkpoint.pt" ]; then $cmd --resume; else $cmd; fi
    python tools/ship_weights.py --checkpoint "$out/checkpoint.pt" --name "$n" --command "STEPS=$STEPS BATCH=$BATCH bash tools/train_shipped.sh $n  # $cmd"
  done
done
