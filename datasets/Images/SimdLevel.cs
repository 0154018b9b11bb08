using System.Runtime.Intrinsics.X86;

namespace Vlm.Datasets.Images;

/// <summary>The widest x86 vector instructions a resize uses (each level includes the ones below it).</summary>
internal enum SimdLevel { None, Sse41, Avx2, Avx512 }

internal static class SimdLevels
{
    public static SimdLevel Best { get; } =
        Avx512F.IsSupported ? SimdLevel.Avx512 : Avx2.IsSupported ? SimdLevel.Avx2 : Sse41.IsSupported ? SimdLevel.Sse41 : SimdLevel.None;

    /// <summary>Every level this processor runs, the scalar one included.</summary>
    public static IEnumerable<SimdLevel> Supported => Enum.GetValues<SimdLevel>().Where(l => l <= Best);
}
