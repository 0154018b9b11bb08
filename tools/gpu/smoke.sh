#!/usr/bin/env bash
# The smallest whole path through a vlm program: tiny HF-format models, a synthetic dataset, prepare,
# three training steps, one greedy answer. Checks a published vlm (tools/gpu/publish.sh) where it runs.
#
#   bash tools/gpu/smoke.sh <vlm program> <work folder> [cpu|cuda]
#
# Prints the training log and the answer; exits non-zero at the first failing step.
set -euo pipefail

vlm="${1:?usage: bash tools/gpu/smoke.sh <vlm program> <work folder> [cpu|cuda]}"
work="${2:?usage: bash tools/gpu/smoke.sh <vlm program> <work folder> [cpu|cuda]}"
device="${3:-cpu}"
rm -rf "$work"; mkdir -p "$work"

"$vlm" doctor
"$vlm" init-tiny --out "$work/models" --hidden 32 --layers 2 --seed 1
"$vlm" make-samples --output "$work/data" --count 8 --seed 1
"$vlm" prepare --format llava --annotations "$work/data/llava.json" --images "$work/data/images" \
  --tokenizer "$work/models/llm" --image_tokens 16 --output "$work/shards"
"$vlm" train --data "$work/shards" --llm "$work/models/llm" --vision "$work/models/vision" --output_dir "$work/out" \
  --max_steps 3 --per_device_train_batch_size 2 --logging_steps 1 --save_steps 3 --seed 1 --device "$device"
"$vlm" predict --weights "$work/out/model" --image "$(ls "$work"/data/images/*.png | head -1)" \
  --prompt "What shape is in the image?" --max_new_tokens 8 --device "$device"
echo "smoke ($device): ok"
