using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Qwen;

/// <summary>Qwen-7B's SwiGLU: <c>c_proj(w1(x) * silu(w2(x)))</c>, each of <c>w1</c>, <c>w2</c> <c>intermediate_size / 2</c> wide.</summary>
internal sealed class QwenMlp : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly LoraLinear w1, w2, c_proj;

    public QwenMlp(QwenConfig config) : base(nameof(QwenMlp))
    {
        w1 = new LoraLinear(config.HiddenSize, config.MlpWidth, hasBias: !config.NoBias);
        w2 = new LoraLinear(config.HiddenSize, config.MlpWidth, hasBias: !config.NoBias);
        c_proj = new LoraLinear(config.MlpWidth, config.HiddenSize, hasBias: !config.NoBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return c_proj.forward(w1.forward(x) * nn.functional.silu(w2.forward(x))).MoveToOuterDisposeScope();
    }
}
