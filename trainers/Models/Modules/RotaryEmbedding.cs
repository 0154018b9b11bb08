using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>
/// Rotary position embedding over the full head dimension (Qwen2 and Qwen-7B alike): the
/// "rotate half" form of Hugging Face's Llama/Qwen2 code, frequencies from <c>rope_theta</c>.
/// </summary>
internal static class RotaryEmbedding
{
    /// <summary>cos and sin for <paramref name="positions"/> [B, T]: each [B, 1, T, headDim].</summary>
    public static (Tensor Cos, Tensor Sin) Angles(Tensor positions, int headDim, double theta, ScalarType dtype) =>
        Angles(positions, headDim, [theta], dtype);

    /// <summary>As above with a base per batch row (Qwen-7B's dynamic NTK scales each prompt's own base), or one for all rows.</summary>
    public static (Tensor Cos, Tensor Sin) Angles(Tensor positions, int headDim, IReadOnlyList<double> thetas, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // Computed in .NET (as 1 / theta^(2i/D)) to keep implicit Scalars out of a per-step path.
        var inverse = new float[thetas.Count * (headDim / 2)];
        for (int row = 0; row < thetas.Count; row++)
            for (int i = 0; i < headDim / 2; i++)
                inverse[row * (headDim / 2) + i] = (float)(1.0 / Math.Pow(thetas[row], 2.0 * i / headDim));
        var invFreq = tensor(inverse, [thetas.Count, 1, headDim / 2], device: positions.device); // [B or 1, 1, D/2]
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
