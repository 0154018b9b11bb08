using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>
/// Rotary position embedding over the full head dimension (every family here): the "rotate half"
/// form of Hugging Face's Llama/Qwen2 code. The frequencies come from <c>rope_theta</c>, optionally
/// rescaled (<see cref="Text.RopeScaling"/>).
/// </summary>
internal static class RotaryEmbedding
{
    /// <summary>Hugging Face's default inverse frequencies <c>1 / theta^(2i / headDim)</c>, i &lt; headDim / 2.</summary>
    public static double[] InverseFrequencies(int headDim, double theta)
    {
        var inverse = new double[headDim / 2];
        for (int i = 0; i < inverse.Length; i++) inverse[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        return inverse;
    }

    /// <summary>cos and sin for <paramref name="positions"/> [B, T]: each [B, 1, T, headDim].</summary>
    public static (Tensor Cos, Tensor Sin) Angles(Tensor positions, int headDim, double theta, ScalarType dtype) =>
        Angles(positions, [InverseFrequencies(headDim, theta)], dtype);

    /// <summary>As above with a base per batch row (Qwen-7B's dynamic NTK scales each prompt's own base), or one for all rows.</summary>
    public static (Tensor Cos, Tensor Sin) Angles(Tensor positions, int headDim, IReadOnlyList<double> thetas, ScalarType dtype) =>
        Angles(positions, [.. thetas.Select(theta => InverseFrequencies(headDim, theta))], dtype);

    /// <summary>cos and sin [B, 1, T, 2 F] for inverse frequencies given per batch row (F each), or one set for all rows.</summary>
    public static (Tensor Cos, Tensor Sin) Angles(Tensor positions, IReadOnlyList<double[]> inverseFrequencies, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // Computed in .NET and handed over as one tensor, to keep implicit Scalars out of a per-step path.
        int half = inverseFrequencies[0].Length;
        var inverse = inverseFrequencies.SelectMany(row => row.Select(f => (float)f)).ToArray();
        var invFreq = tensor(inverse, [inverseFrequencies.Count, 1, half], device: positions.device); // [B or 1, 1, D/2]
        var freqs = positions.to(float32).unsqueeze(-1) * invFreq; // [B, T, D/2]
        var emb = cat([freqs, freqs], -1).unsqueeze(1); // [B, 1, T, D]
        return (emb.cos().to(dtype).MoveToOuterDisposeScope(), emb.sin().to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>x [B, H, T, D] rotated by the angles.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        int half = (int)(x.shape[^1] / 2);
        var rotated = cat([-x[.., .., .., half..], x[.., .., .., ..half]], -1);
        return (x * cos).add_(rotated * sin, Scalars.One).MoveToOuterDisposeScope();
    }
}
