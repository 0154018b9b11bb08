using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Text;

/// <summary>A Llama-style decoder block: <c>input_layernorm</c>, <c>self_attn</c>, <c>post_attention_layernorm</c>, <c>mlp</c>.</summary>
internal sealed class DecoderLayer : nn.Module<Tensor, Tensor>, IDecoderLayer
{
    // Checkpoint names, fenced.
    readonly RmsNorm input_layernorm, post_attention_layernorm;
    readonly DecoderAttention self_attn;
    readonly GatedMlp mlp;

    public DecoderLayer(DecoderSpec spec) : base(nameof(DecoderLayer))
    {
        input_layernorm = new RmsNorm(spec.HiddenSize, spec.RmsNormEps);
        self_attn = new DecoderAttention(spec);
        post_attention_layernorm = new RmsNorm(spec.HiddenSize, spec.RmsNormEps);
        mlp = new GatedMlp(spec);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("call Forward with positions and mask");

    public Tensor Forward(Tensor x, RotaryAngles angles, Tensor mask, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x.add(self_attn.Forward(input_layernorm.forward(x), angles, mask, cache, layer), Scalars.One); // not '+': it makes an implicit Scalar (Scalars explains)
        return h.add(mlp.forward(post_attention_layernorm.forward(h)), Scalars.One).MoveToOuterDisposeScope();
    }
}
