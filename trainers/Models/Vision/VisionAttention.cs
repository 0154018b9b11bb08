using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Vision;

/// <summary>Bidirectional multi-head self-attention of a ViT block.</summary>
internal sealed class VisionAttention : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly Linear q_proj, k_proj, v_proj, out_proj;
    readonly int _heads, _headDim;

    public VisionAttention(VisionConfig config) : base(nameof(VisionAttention))
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HiddenSize / config.NumAttentionHeads;
        q_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        k_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        v_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        out_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // [B, N, D]
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1];
        Tensor Heads(Linear projection) => projection.forward(x).view(b, n, _heads, _headDim).transpose(1, 2);
        var attended = nn.functional.scaled_dot_product_attention(Heads(q_proj), Heads(k_proj), Heads(v_proj));
        return out_proj.forward(attended.transpose(1, 2).reshape(b, n, _heads * _headDim)).MoveToOuterDisposeScope();
    }
}
