using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>
/// cos and sin [B, 1, T, D] that rotate keys, and those that rotate queries: the same tensors unless
/// queries are also scaled per position (Qwen-7B's log-n attention beyond its training length,
/// folded into the query's angles since the scale commutes with the rotation).
/// </summary>
internal readonly record struct RotaryAngles(Tensor Cos, Tensor Sin, Tensor QueryCos, Tensor QuerySin)
{
    public RotaryAngles(Tensor cos, Tensor sin) : this(cos, sin, cos, sin) { }
}
