"""The GPU check's peer: one LoRA training step of a Qwen2 LLM in Hugging Face transformers + peft,
the same shape and settings as `vlm bench --child lora-step` (frozen base in bf16 or fp32, float32
adapters on every linear layer of the LLM (peft's default autocast_adapter_dtype), AdamW on the
adapters, labels on all but the first image_tokens positions). Prints one JSON line.

  python3 hf_lora_step.py layers hidden heads kv_heads intermediate vocab batch tokens image_tokens rank steps fp32|bf16
"""
import json
import sys
import time

import torch
import peft
import transformers

layers, hidden, heads, kv_heads, intermediate, vocab, batch, tokens, image_tokens, rank, steps = map(int, sys.argv[1:12])
dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[sys.argv[12]]

torch.manual_seed(1)
config = transformers.Qwen2Config(
    vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=layers,
    num_attention_heads=heads, num_key_value_heads=kv_heads, tie_word_embeddings=True)
model = transformers.Qwen2ForCausalLM(config).to(device="cuda", dtype=dtype)
model = peft.get_peft_model(model, peft.LoraConfig(
    r=rank, lora_alpha=2 * rank, lora_dropout=0.0,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
model.train()
trainable = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.0)
ids = torch.randint(1, vocab, (batch, tokens), device="cuda")
keep = torch.ones_like(ids)
labels = ids.clone()
labels[:, :image_tokens] = -100

times = []
torch.cuda.reset_peak_memory_stats()
for step in range(steps + 1):
    torch.cuda.synchronize()
    start = time.perf_counter()
    loss = model(input_ids=ids, attention_mask=keep, labels=labels).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    if step > 0:  # the first step allocates the optimizer state
        times.append(time.perf_counter() - start)
times.sort()
median = times[len(times) // 2]
print(json.dumps({
    "step_seconds": median, "step_seconds_min": times[0], "step_seconds_max": times[-1],
    "tokens_per_second": batch * tokens / median,
    "trainable_parameters": sum(p.numel() for p in trainable),
    "adapter_dtype": str(trainable[0].dtype), "peak_allocated_bytes": torch.cuda.max_memory_allocated(),
    "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
}))
