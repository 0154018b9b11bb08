"""The training-step peer for `vlm bench`: the same Qwen2-shaped step in PyTorch on the CPU.

Debian's python3-torch (1.13) has no fused scaled_dot_product_attention, so attention is written
out as Hugging Face's eager Qwen2 attention does it. Prints one JSON line.
Usage: python3 train_step.py layers hidden heads kv_heads intermediate vocab batch tokens image_tokens threads steps
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RmsNorm(nn.Module):
    def __init__(self, size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], -1)


class Layer(nn.Module):
    def __init__(self, hidden, heads, kv_heads, intermediate):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, hidden // heads
        self.q_proj = nn.Linear(hidden, hidden)
        self.k_proj = nn.Linear(hidden, kv_heads * self.head_dim)
        self.v_proj = nn.Linear(hidden, kv_heads * self.head_dim)
        self.o_proj = nn.Linear(hidden, hidden, bias=False)
        self.gate_proj = nn.Linear(hidden, intermediate, bias=False)
        self.up_proj = nn.Linear(hidden, intermediate, bias=False)
        self.down_proj = nn.Linear(intermediate, hidden, bias=False)
        self.input_layernorm = RmsNorm(hidden)
        self.post_attention_layernorm = RmsNorm(hidden)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)
        v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + mask
        attended = scores.softmax(-1) @ v
        x = x + self.o_proj(attended.transpose(1, 2).reshape(b, t, -1))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(nn.Module):
    def __init__(self, layers, hidden, heads, kv_heads, intermediate, vocab):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList(Layer(hidden, heads, kv_heads, intermediate) for _ in range(layers))
        self.norm = RmsNorm(hidden)
        self.head_dim = hidden // heads
        for name, p in self.named_parameters():  # Hugging Face's initialisation, as the C# side
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def loss(self, ids, labels):
        b, t = ids.shape
        x = self.embed_tokens(ids)
        inv = 1.0 / (10000.0 ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim))
        freqs = torch.arange(t).float()[:, None] * inv[None, :]
        emb = torch.cat([freqs, freqs], -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)[None, None]
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        x = self.norm(x)
        targets = labels[:, 1:].reshape(-1)
        rows = (targets != -100).nonzero().squeeze(1)
        selected = x[:, :-1].reshape(-1, x.shape[-1]).index_select(0, rows)
        logits = selected @ self.embed_tokens.weight.t()  # tied head, labelled rows only
        return F.cross_entropy(logits, targets.index_select(0, rows))


def main():
    layers, hidden, heads, kv_heads, intermediate, vocab, batch, tokens, image_tokens, threads, steps = map(int, sys.argv[1:12])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = Model(layers, hidden, heads, kv_heads, intermediate, vocab)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    ids = torch.randint(1, vocab, (batch, tokens))  # as the C# step draws them (0 is its image token)
    labels = ids.clone()
    labels[:, :image_tokens] = -100
    times = []
    for step in range(steps + 2):
        start = time.perf_counter()
        loss = model.loss(ids, labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= 2:  # the first steps allocate the optimizer state
            times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "step_seconds": times[len(times) // 2], "loss": float(loss)}))


if __name__ == "__main__":
    main()
