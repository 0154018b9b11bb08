using TorchSharp;
using static TorchSharp.torch;

namespace Vlm.Trainers.Reference;

/// <summary>
/// Where a reference check runs its model: a device and a floating-point type. The fixtures were
/// recorded in float32; in float32 on any device the fixture's own tolerance applies. In bfloat16,
/// which keeps 8 significant bits (unit roundoff u = 2^-8 = 0.0039), an output is judged by its
/// relative error ||actual - expected|| / ||expected|| against <see cref="Bfloat16Bound"/>.
/// </summary>
internal sealed record ReferencePlacement(Device Device, ScalarType Type)
{
    public static ReferencePlacement Cpu { get; } = new(CPU, ScalarType.Float32);

    /// <summary>
    /// 0.02, about 5u: each layer rounds its weights, activations and sums once or twice, and the
    /// errors of a few layers add up to a few roundoffs (0.3-1.5% on the CPU for the fixtures of tests/data/hf-reference).
    /// </summary>
    public const double Bfloat16Bound = 0.02;

    public bool IsHalf => Type is ScalarType.BFloat16 or ScalarType.Float16;

    /// <summary>A recorded input on this device; floating-point inputs (pixels) in this type.</summary>
    public Tensor Input(Tensor input) => (input.is_floating_point() ? input.to(Type) : input).to(Device);

    /// <summary>A loaded model (float32 on the CPU) on this device in this type.</summary>
    public T Move<T>(T module) where T : nn.Module
    {
        module.to(Device);
        module.to(Type);
        return module;
    }
}
