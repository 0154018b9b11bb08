using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Text;

/// <summary>SwiGLU: <c>down_proj(silu(gate_proj(x)) * up_proj(x))</c>.</summary>
internal sealed class GatedMlp : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly LoraLinear gate_proj, up_proj, down_proj;

    public GatedMlp(DecoderSpec spec) : base(nameof(GatedMlp))
    {
        gate_proj = new LoraLinear(spec.HiddenSize, spec.IntermediateSize, hasBias: spec.MlpBias);
        up_proj = new LoraLinear(spec.HiddenSize, spec.IntermediateSize, hasBias: spec.MlpBias);
        down_proj = new LoraLinear(spec.IntermediateSize, spec.HiddenSize, hasBias: spec.MlpBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return down_proj.forward(nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x)).MoveToOuterDisposeScope();
    }
}
