using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>The causal + padding mask and the position ids of a (possibly left-padded, possibly cached) batch.</summary>
internal static class AttentionMask
{
    /// <summary>
    /// An additive mask [B, 1, T, S] for <paramref name="queryLength"/> new positions after
    /// <c>S - T</c> cached ones: 0 where a query may attend, the dtype's lowest value elsewhere (as
    /// Hugging Face does, so a padding query row, masked everywhere, stays finite instead of NaN).
    /// <paramref name="keep"/> [B, S] is 1 for real tokens and 0 for padding.
    /// </summary>
    public static Tensor Causal(Tensor keep, long queryLength, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        long total = keep.shape[1];
        var queries = Scalars.Range(total - queryLength, total, keep.device).unsqueeze(1); // [T, 1]
        var keys = Scalars.Range(0, total, keep.device).unsqueeze(0); // [1, S]
        var allowed = (keys <= queries).unsqueeze(0).unsqueeze(0) & keep.to(@bool).unsqueeze(1).unsqueeze(1); // [B, 1, T, S]
        var lowest = dtype == bfloat16 ? Scalars.LowestBFloat16 : dtype == float16 ? Scalars.LowestFloat16 : Scalars.LowestFloat32;
        return zeros(allowed.shape, dtype, keep.device).masked_fill(allowed.logical_not(), lowest).MoveToOuterDisposeScope();
    }

    /// <summary>Position ids [B, T] of the last <paramref name="queryLength"/> positions: counted over real tokens only, so left padding does not shift them.</summary>
    public static Tensor Positions(Tensor keep, long queryLength)
    {
        using var scope = NewDisposeScope();
        var positions = keep.to(int64).cumsum(1).sub_(Scalars.One).clamp_min_(Scalars.Zero);
        return positions[.., (int)(keep.shape[1] - queryLength)..].MoveToOuterDisposeScope();
    }
}
