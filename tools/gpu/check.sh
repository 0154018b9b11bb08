#!/usr/bin/env bash
# The GPU check, run on a machine with PyTorch + CUDA, CMake and ninja (no dotnet, no network), in the
# repository root, with .gpu/ made here by tools/gpu/bundle.sh. Designed to finish in under 8 minutes:
#   1. builds TorchSharp's native library against that PyTorch (CMake + ninja, all cores) and checks
#      that it exports everything our package's does;
#   2. vlm doctor must see the CUDA device;
#   3. the Hugging Face fixtures (tests/data/hf-reference) on CUDA: fp32 within each fixture's
#      tolerance, bf16 within the relative bound; and on the CPU with that PyTorch, as a control;
#   4. tools/gpu/smoke.sh on the CPU, on CUDA in fp32 and on CUDA in bf16 (frozen bf16 base, fp32
#      LoRA + projector): training losses side by side, greedy answers compared with the CPU's;
#   5. NCCL through the real library on this GPU (a world of one: the calls' ABI and the device path);
#   6. a LoRA training step of Qwen2-0.5B's shape (batch 8 x 1024): ours vs transformers + peft on the
#      same GPU, tokens/s and peak memory (nvidia-smi's reading of the device, polled, for both).
# Everything goes to $OUT/check.log (or .gpu/out/check.log); a summary is printed at the end.
#
#   bash tools/gpu/check.sh
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="$repo/.gpu"
out="${OUT:-$bundle/out}"; mkdir -p "$out"
work="${VLM_GPU_WORK:-/tmp/vlm-gpu}"; rm -rf "$work"; mkdir -p "$work"
log="$out/check.log"; : > "$log"
summary=()
say() { echo "$*" | tee -a "$log"; }
note() { summary+=("$*"); say "RESULT $*"; }
run() { # run <name> <command...>: output to the log, the last lines on the terminal, the exit code kept
  local name="$1"; shift; local start=$SECONDS
  say "== $name: $*"
  "$@" >> "$log" 2>&1; local rc=$?
  say "== $name: exit $rc in $((SECONDS - start)) s"
  return $rc
}

# -- the machine's PyTorch
torch_lib="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')" || { say "no PyTorch in python3"; exit 1; }
torch_cmake="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
say "$(python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU")')"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$log"

# -- 1. unpack and build LibTorchSharp
tar -xJf "$bundle/vlm.tar.xz" -C "$work"
tar -xJf "$bundle/torchsharp-native.tar.xz" -C "$work"
if ! ldconfig -p | grep -q 'libicuuc\.so'; then
  mkdir -p "$work/icu" && tar -xJf "$bundle/icu.tar.xz" -C "$work/icu" && say "no system ICU: using the carried one"
  export LD_LIBRARY_PATH="$work/icu:${LD_LIBRARY_PATH:-}"
fi
# -Werror off: a newer PyTorch's headers deprecate calls this TorchSharp release makes (warnings, not errors).
sed -i 's/^\( *\)add_definitions(-Werror)/\1# add_definitions(-Werror)/' "$work/torchsharp/src/Native/CMakeLists.txt"
mkdir -p "$work/native"
run cmake cmake -S "$work/torchsharp/src/Native" -B "$work/native" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_cmake" -DTORCH_CUDA_ARCH_LIST=9.0 \
  || { note "FAIL cmake (see check.log)"; tail -40 "$log"; exit 1; }
run ninja ninja -C "$work/native" -j "$(nproc)" LibTorchSharp || { note "FAIL LibTorchSharp build"; grep -m 20 -E "error" "$log"; exit 1; }
built="$(find "$work/native" -name libLibTorchSharp.so | head -1)"
cp "$built" "$work/vlm/libLibTorchSharp.so"
missing="$(comm -23 "$bundle/LibTorchSharp.symbols" <(nm -D --defined-only "$built" | awk '$3 ~ /^THS/ {print $3}' | sort -u) | wc -l)"
[ "$missing" -eq 0 ] && note "LibTorchSharp built against torch $(python3 -c 'import torch; print(torch.__version__)'): exports all $(wc -l < "$bundle/LibTorchSharp.symbols") of the package's functions" \
  || note "FAIL LibTorchSharp misses $missing of the package's functions: $(comm -23 "$bundle/LibTorchSharp.symbols" <(nm -D --defined-only "$built" | awk '{print $3}' | sort -u) | head -5 | tr '\n' ' ')"
export LD_LIBRARY_PATH="$torch_lib:${LD_LIBRARY_PATH:-}"
vlm="$work/vlm/vlm"

# -- 2. doctor
run doctor "$vlm" doctor
grep -q "^CUDA  *available" "$log" && note "doctor: $(grep '^CUDA' "$log" | tail -1)" || note "FAIL doctor does not see CUDA"

# -- 3. fixtures
for placement in "cuda fp32" "cuda bf16" "cpu fp32"; do
  set -- $placement
  run "fixtures-$1-$2" "$vlm" reference-check "$repo/tests/data/hf-reference" --device "$1" --precision "$2" \
    && note "fixtures $1 $2: $(grep 'output(s) compared' "$log" | tail -1)" || note "FAIL fixtures $1 $2: $(grep 'output(s) compared' "$log" | tail -1)"
done

# -- 4. training steps and answers: CPU, CUDA fp32, CUDA bf16
for placement in "cpu fp32" "cuda fp32" "cuda bf16"; do
  set -- $placement
  run "smoke-$1-$2" bash "$repo/tools/gpu/smoke.sh" "$vlm" "$work/smoke-$1-$2" "$1" "$2" || note "FAIL smoke $1 $2"
done
for placement in cpu-fp32 cuda-fp32 cuda-bf16; do
  note "losses $placement: $(grep -h -o 'loss [0-9.]*' "$work/smoke-$placement/train.log" 2>/dev/null | awk '{print $2}' | tr '\n' ' ')"
done
cmp -s "$work/smoke-cpu-fp32/answers.jsonl" "$work/smoke-cuda-fp32/answers.jsonl" \
  && note "greedy answers: CUDA fp32 equal to the CPU's ($(wc -l < "$work/smoke-cpu-fp32/answers.jsonl") questions)" \
  || note "FAIL greedy answers: CUDA fp32 differs from the CPU's"
note "greedy answers: CUDA bf16 $(paste "$work/smoke-cpu-fp32/answers.jsonl" "$work/smoke-cuda-bf16/answers.jsonl" | awk -F'\t' '$1 == $2' | wc -l) of $(wc -l < "$work/smoke-cpu-fp32/answers.jsonl") equal to the CPU's fp32 ones"

# -- 5. NCCL through the real library (PyTorch's wheel brings it): a world of one on this GPU checks
#       the calls' ABI (the id by value, device pointers, the default stream); two ranks need two GPUs.
nccl_lib="$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2> /dev/null)"
LD_LIBRARY_PATH="${nccl_lib:+$nccl_lib:}$LD_LIBRARY_PATH" run nccl "$vlm" bench --child allreduce --distributed nccl --device cuda --elements 16777216 --repeats 9 \
  && note "NCCL, one rank on cuda: $(grep -h '"backend":"nccl"' "$log" | tail -1)" || note "FAIL NCCL on cuda: $(grep -h -m 3 -iE 'nccl|error' "$log" | tail -3 | tr '\n' ' ')"

# -- 6. throughput and memory, ours vs transformers + peft
peak() { # peak <name> <command...>: the command's JSON line, then the device's peak memory use above its idle reading, in MiB
  local idle; idle="$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1)"
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$work/$1.mem" &
  local poll=$!
  run "$@"; local rc=$?
  kill $poll 2> /dev/null; wait $poll 2> /dev/null
  echo "peak_mib=$(( $(sort -n "$work/$1.mem" | tail -1) - idle ))" | tee -a "$log"
  return $rc
}
shape=(24 896 14 2 4864 151936 8 1024 256)
peak ours "$vlm" bench --child lora-step --shape gpu --device cuda --precision bf16 --lora_rank 64 --steps 10
ours="$(grep -h '"tokens_per_second"' "$log" | tail -1)"; ours_mem="$(grep -h '^peak_mib=' "$log" | tail -1)"
peak theirs python3 "$repo/tools/gpu/hf_lora_step.py" "${shape[@]}" 64 10 bf16
theirs="$(grep -h '"tokens_per_second"' "$log" | tail -1)"; theirs_mem="$(grep -h '^peak_mib=' "$log" | tail -1)"
note "LoRA step (Qwen2-0.5B shape, 8 x 1024, r 64, bf16 base): ours $ours $ours_mem"
note "LoRA step (same), transformers + peft: $theirs $theirs_mem"

say ""; say "== summary"
printf '%s\n' "${summary[@]}" | tee "$out/summary.txt"
! printf '%s\n' "${summary[@]}" | grep -q '^FAIL'
