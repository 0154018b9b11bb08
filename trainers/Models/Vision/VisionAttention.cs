using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Vision;

/// <summary>Bidirectional multi-head self-attention of a ViT block; its projections can carry LoRA adapters.</summary>
internal sealed class VisionAttention : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly LoraLinear q_proj, k_proj, v_proj, out_proj;
    readonly int _heads, _headDim;

    public VisionAttention(VisionConfig config) : base(nameof(VisionAttention))
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HiddenSize / config.NumAttentionHeads;
        q_proj = Projection(config.HiddenSize, config.HiddenSize);
        k_proj = Projection(config.HiddenSize, config.HiddenSize);
        v_proj = Projection(config.HiddenSize, config.HiddenSize);
        out_proj = Projection(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // [B, N, D]
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1];
        Tensor Heads(LoraLinear projection) => projection.forward(x).view(b, n, _heads, _headDim).transpose(1, 2);
        var attended = nn.functional.scaled_dot_product_attention(Heads(q_proj), Heads(k_proj), Heads(v_proj));
        return out_proj.forward(attended.transpose(1, 2).reshape(b, n, _heads * _headDim)).MoveToOuterDisposeScope();
    }

    /// <summary>A linear layer drawn as <c>nn.Linear</c> draws it (the tower's initialisation then overwrites it).</summary>
    internal static LoraLinear Projection(long inFeatures, long outFeatures) => new(inFeatures, outFeatures, hasBias: true, uniformBias: true);
}
