using TorchSharp;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>RMSNorm as Qwen computes it: in fp32, then scaled by <c>weight</c> in the input's dtype.</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    // Checkpoint name, fenced: parameter names equal Hugging Face's keys.
    readonly TorchSharp.Modules.Parameter weight;
    readonly Scalar _eps;

    public RmsNorm(int size, double eps) : base(nameof(RmsNorm))
    {
        weight = nn.Parameter(ones(size));
        _eps = eps.ToScalar();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.to(float32);
        h = h * rsqrt(h.pow(Scalars.Two).mean([-1], keepdim: true).add_(_eps, Scalars.One)); // square() and add_(Scalar) make implicit Scalars (Scalars explains)
        return (weight * h.to(x.dtype)).MoveToOuterDisposeScope();
    }
}
