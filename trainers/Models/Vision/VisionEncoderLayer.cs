using TorchSharp.Modules;
using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Vision;

/// <summary>A pre-norm ViT block, the same in CLIP and SigLIP: attention then <c>fc2(act(fc1(x)))</c>.</summary>
internal sealed class VisionEncoderLayer : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly LayerNorm layer_norm1, layer_norm2;
    readonly VisionAttention self_attn;
    readonly VisionMlp mlp;

    public VisionEncoderLayer(VisionConfig config) : base(nameof(VisionEncoderLayer))
    {
        layer_norm1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        self_attn = new VisionAttention(config);
        layer_norm2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        mlp = new VisionMlp(config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.add(self_attn.forward(layer_norm1.forward(x)), Scalars.One); // not '+': it makes an implicit Scalar (Scalars explains)
        return h.add(mlp.forward(layer_norm2.forward(h)), Scalars.One).MoveToOuterDisposeScope();
    }
}

/// <summary>The block's feed-forward part.</summary>
internal sealed class VisionMlp : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly LoraLinear fc1, fc2;
    readonly Func<Tensor, Tensor> _act;

    public VisionMlp(VisionConfig config) : base(nameof(VisionMlp))
    {
        fc1 = VisionAttention.Projection(config.HiddenSize, config.IntermediateSize);
        fc2 = VisionAttention.Projection(config.IntermediateSize, config.HiddenSize);
        _act = Activations.ByName(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(_act(fc1.forward(x))).MoveToOuterDisposeScope();
    }
}
