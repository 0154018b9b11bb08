using TorchSharp;
using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Qwen2;

/// <summary>SwiGLU: <c>down_proj(silu(gate_proj(x)) * up_proj(x))</c>.</summary>
internal sealed class Qwen2Mlp : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly LoraLinear gate_proj, up_proj, down_proj;

    public Qwen2Mlp(Qwen2Config config) : base(nameof(Qwen2Mlp))
    {
        gate_proj = new LoraLinear(config.HiddenSize, config.IntermediateSize, hasBias: false);
        up_proj = new LoraLinear(config.HiddenSize, config.IntermediateSize, hasBias: false);
        down_proj = new LoraLinear(config.IntermediateSize, config.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return down_proj.forward(nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x)).MoveToOuterDisposeScope();
    }
}
