namespace Vlm.Trainers.Models.Qwen;

/// <summary>
/// Qwen-7B's two inference-time extensions beyond its training length <c>seq_length</c> (L), as its
/// <c>modeling_qwen.py</c> computes them; both are 1 (no change) up to L and in training.
/// </summary>
internal static class QwenLongContext
{
    /// <summary>Dynamic NTK: <c>max(2^ceil(log2(n / L) + 1) - 1, 1)</c> for a prompt of <paramref name="length"/> tokens.</summary>
    public static double NtkAlpha(long length, int seqLength) =>
        Math.Max(Math.Pow(2, Math.Ceiling(Math.Log2((double)length / seqLength) + 1)) - 1, 1);

    /// <summary>The rotary base for <paramref name="alpha"/>: <c>base * alpha^(d / (d - 2))</c> over head dimension d.</summary>
    public static double RotaryBase(double baseTheta, double alpha, int headDim) =>
        baseTheta * Math.Pow(alpha, (double)headDim / (headDim - 2));

    /// <summary>Log-n attention: the query at 0-based position p is scaled by <c>log_L(p + 1)</c> once <c>p + 1 &gt; L</c>.</summary>
    public static float LognScale(long position, int seqLength) =>
        position + 1 > seqLength ? (float)(Math.Log(position + 1) / Math.Log(seqLength)) : 1f;
}
