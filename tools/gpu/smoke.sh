#!/usr/bin/env bash
# The smallest whole path through a vlm program: tiny HF-format models, a synthetic dataset, prepare,
# 40 LoRA training steps, greedy answers to every image. Checks a published vlm
# (tools/gpu/publish.sh) where it runs; the same seed on another device or type should give close
# losses (work/train.log) and, in fp32, the same answers (work/answers.jsonl).
#
#   bash tools/gpu/smoke.sh <vlm program> <work folder> [cpu|cuda] [fp32|bf16]
#
# Exits non-zero at the first failing step.
set -euo pipefail

vlm="${1:?usage: bash tools/gpu/smoke.sh <vlm program> <work folder> [cpu|cuda] [fp32|bf16]}"
work="${2:?usage: bash tools/gpu/smoke.sh <vlm program> <work folder> [cpu|cuda] [fp32|bf16]}"
device="${3:-cpu}"
precision="${4:-fp32}"
rm -rf "$work"; mkdir -p "$work"

"$vlm" doctor
"$vlm" make-samples --output "$work/data" --count 8 --seed 1
# A vocabulary of the data's own tokens: a random model over Qwen2's 151k tokens answers one token over
# and over, which would make the answers' comparison say little.
"$vlm" init-tiny --out "$work/models" --hidden 32 --layers 2 --seed 1 --vocabulary_from "$work/data/llava.json"
"$vlm" prepare --format llava --annotations "$work/data/llava.json" --images "$work/data/images" \
  --tokenizer "$work/models/llm" --image_tokens 16 --output "$work/shards"
"$vlm" train --data "$work/shards" --llm "$work/models/llm" --vision "$work/models/vision" --output_dir "$work/out" \
  --train lora --target_modules "q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj" --lora_rank 8 --lora_dropout 0 \
  --learning_rate 1e-2 --feature_proj_lr 1e-2 --warmup_steps 2 \
  --max_steps 40 --per_device_train_batch_size 4 --logging_steps 5 --save_steps 40 --seed 1 \
  --device "$device" --precision "$precision" | tee "$work/train.log"
for image in "$work"/data/images/*.png; do
  echo "{\"id\": \"$(basename "$image")\", \"image\": \"$image\", \"prompt\": \"What shape is in the image?\"}"
done > "$work/questions.jsonl"
"$vlm" predict --weights "$work/out/model" --input "$work/questions.jsonl" --output "$work/answers.jsonl" \
  --max_new_tokens 8 --device "$device" --precision "$precision"
cat "$work/answers.jsonl"
echo "smoke ($device, $precision): ok"
