using TorchSharp;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>
/// Scalars that outlive the native calls using them. TorchSharp frees a <see cref="Scalar"/> in its
/// finalizer, and one made by an implicit conversion (<c>t * 2.0</c>, <c>t.clamp_min(0)</c>, and
/// inside TorchSharp itself: <c>a + b</c> and <c>add_(b)</c> pass an alpha of 1, <c>square()</c> is
/// <c>pow(2)</c>, <c>arange</c> converts its bounds) is
/// unreachable while the native call that reads it runs: a garbage collection at that moment frees
/// it under the call, which fails with "Unknown scalar type" (seen once in a few thousand training
/// steps). Hot paths use these static ones or a <c>using var</c> local instead.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar Zero = 0.ToScalar();
    public static readonly Scalar One = 1.ToScalar();
    public static readonly Scalar Two = 2.ToScalar();
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
    public static readonly Scalar QuickGelu = 1.702.ToScalar();
    public static readonly Scalar LowestFloat32 = ((double)float.MinValue).ToScalar();
    public static readonly Scalar LowestFloat16 = (-65504.0).ToScalar();
    public static readonly Scalar LowestBFloat16 = (-3.3895313892515355e38).ToScalar();

    /// <summary>
    /// <c>arange(start, stop)</c> (int64) with its Scalars alive for the whole call: TorchSharp's
    /// <c>arange(long, long)</c> converts both bounds and its default step implicitly.
    /// </summary>
    public static Tensor Range(long start, long stop, Device device)
    {
        using Scalar from = start.ToScalar(), to = stop.ToScalar();
        return arange(from, to, One, int64, device);
    }
}
