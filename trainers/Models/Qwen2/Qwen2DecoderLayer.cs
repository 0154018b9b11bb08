using TorchSharp;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Text;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Qwen2;

/// <summary>Qwen2's decoder block: <c>input_layernorm</c>, <c>self_attn</c>, <c>post_attention_layernorm</c>, <c>mlp</c>.</summary>
internal sealed class Qwen2DecoderLayer : nn.Module<Tensor, Tensor>, IDecoderLayer
{
    // Checkpoint names, fenced.
    readonly RmsNorm input_layernorm, post_attention_layernorm;
    readonly Qwen2Attention self_attn;
    readonly Qwen2Mlp mlp;

    public Qwen2DecoderLayer(Qwen2Config config) : base(nameof(Qwen2DecoderLayer))
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        self_attn = new Qwen2Attention(config);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        mlp = new Qwen2Mlp(config);
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
