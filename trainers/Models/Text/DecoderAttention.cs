using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Text;

/// <summary>Grouped-query self-attention: separate q/k/v projections (bias as the spec says), then <see cref="CausalSelfAttention"/>.</summary>
internal sealed class DecoderAttention : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly LoraLinear q_proj, k_proj, v_proj, o_proj;
    readonly int _heads, _kvHeads, _headDim;

    public DecoderAttention(DecoderSpec spec) : base(nameof(DecoderAttention))
    {
        _heads = spec.NumAttentionHeads;
        _kvHeads = spec.NumKeyValueHeads;
        _headDim = spec.HeadDim;
        q_proj = new LoraLinear(spec.HiddenSize, _heads * _headDim, hasBias: spec.QkvBias);
        k_proj = new LoraLinear(spec.HiddenSize, _kvHeads * _headDim, hasBias: spec.QkvBias);
        v_proj = new LoraLinear(spec.HiddenSize, _kvHeads * _headDim, hasBias: spec.QkvBias);
        o_proj = new LoraLinear(_heads * _headDim, spec.HiddenSize, hasBias: spec.OutputBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("call Forward with positions and mask");

    /// <summary>x [B, T, D]; mask [B, 1, T, S] additive; returns [B, T, D].</summary>
    public Tensor Forward(Tensor x, RotaryAngles angles, Tensor mask, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = q_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        return o_proj.forward(CausalSelfAttention.Attend(q, k, v, angles, mask, cache, layer)).MoveToOuterDisposeScope();
    }
}
