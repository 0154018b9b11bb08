using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>
/// Rotary position embedding over the full head dimension (Qwen2 and Qwen-7B alike): the
/// "rotate half" form of Hugging Face's Llama/Qwen2 code, frequencies from <c>rope_theta</c>.
/// </summary>
internal static class RotaryEmbedding
{
    /// <summary>cos and sin for <paramref name="positions"/> [B, T]: each [B, 1, T, headDim].</summary>
    public static (Tensor Cos, Tensor Sin) Angles(Tensor positions, int headDim, double theta, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var invFreq = 1.0 / pow(theta, arange(0, headDim, 2, dtype: float32, device: positions.device) / headDim); // [D/2]
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
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}
