using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Qwen;

/// <summary>Qwen-7B's attention: one fused <c>c_attn</c> (q, k and v, with bias) and <c>c_proj</c>; every head has its own keys and values.</summary>
internal sealed class QwenAttention : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly LoraLinear c_attn, c_proj;
    readonly int _heads, _headDim;

    public QwenAttention(QwenConfig config) : base(nameof(QwenAttention))
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HeadDim;
        c_attn = new LoraLinear(config.HiddenSize, 3 * _heads * _headDim, hasBias: true);
        c_proj = new LoraLinear(_heads * _headDim, config.HiddenSize, hasBias: !config.NoBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("call Forward with positions and mask");

    /// <summary>x [B, T, D]; mask [B, 1, T, S] additive; returns [B, T, D].</summary>
    public Tensor Forward(Tensor x, RotaryAngles angles, Tensor mask, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var qkv = c_attn.forward(x).view(b, t, 3, _heads, _headDim); // q, k, v side by side, as Qwen splits them
        var q = qkv.select(2, 0).transpose(1, 2);
        var k = qkv.select(2, 1).transpose(1, 2);
        var v = qkv.select(2, 2).transpose(1, 2);
        return c_proj.forward(CausalSelfAttention.Attend(q, k, v, angles, mask, cache, layer)).MoveToOuterDisposeScope();
    }
}
