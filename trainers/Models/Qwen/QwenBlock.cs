using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Text;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Qwen;

/// <summary>Qwen-7B's decoder block: <c>ln_1</c>, <c>attn</c>, <c>ln_2</c>, <c>mlp</c>.</summary>
internal sealed class QwenBlock : nn.Module<Tensor, Tensor>, IDecoderLayer
{
    // Checkpoint names, fenced.
    readonly RmsNorm ln_1, ln_2;
    readonly QwenAttention attn;
    readonly QwenMlp mlp;

    public QwenBlock(QwenConfig config) : base(nameof(QwenBlock))
    {
        ln_1 = new RmsNorm(config.HiddenSize, config.LayerNormEpsilon);
        attn = new QwenAttention(config);
        ln_2 = new RmsNorm(config.HiddenSize, config.LayerNormEpsilon);
        mlp = new QwenMlp(config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("call Forward with positions and mask");

    public Tensor Forward(Tensor x, RotaryAngles angles, Tensor mask, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x.add(attn.Forward(ln_1.forward(x), angles, mask, cache, layer), Scalars.One); // not '+': it makes an implicit Scalar (Scalars explains)
        return h.add(mlp.forward(ln_2.forward(h)), Scalars.One).MoveToOuterDisposeScope();
    }
}
