using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>The part of self-attention both Qwen architectures share: rotary positions, the KV cache, grouped-query heads and fused scaled-dot-product attention.</summary>
internal static class CausalSelfAttention
{
    /// <summary>q [B, H, T, Dh]; k, v [B, KV, T, Dh]; mask [B, 1, T, S] additive -> [B, T, H * Dh].</summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, RotaryAngles angles, Tensor mask, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = q.shape[0], heads = q.shape[1], t = q.shape[2], kvHeads = k.shape[1];
        q = RotaryEmbedding.Apply(q, angles.QueryCos, angles.QuerySin);
        k = RotaryEmbedding.Apply(k, angles.Cos, angles.Sin);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        if (kvHeads != heads)
        {
            k = k.repeat_interleave(heads / kvHeads, dim: 1);
            v = v.repeat_interleave(heads / kvHeads, dim: 1);
        }
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, mask); // [B, H, T, Dh]
        return attended.transpose(1, 2).reshape(b, t, heads * q.shape[3]).MoveToOuterDisposeScope();
    }
}
