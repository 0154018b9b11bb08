using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>
/// The causal + padding mask and the position ids of a (possibly left-padded, possibly cached, possibly
/// packed) batch. <c>keep</c> [B, S] is 0 for padding and otherwise the token's segment: 1 everywhere in
/// an ordinary row; 1, 2, 3, ... for the conversations packed one after another into one row, which
/// attend only within their own segment and count positions from 0 each.
/// </summary>
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
        var segments = keep.to(int64);
        var querySegments = segments[.., (int)(total - queryLength)..].unsqueeze(2); // [B, T, 1]
        // A padding query (segment 0) keeps attending every earlier real token, as it always has: its output is never used.
        var sameSegment = querySegments.eq(segments.unsqueeze(1)) | querySegments.eq(Scalars.Zero); // [B, T, S]
        var allowed = (keys <= queries).unsqueeze(0).unsqueeze(0) & (keep.to(@bool).unsqueeze(1) & sameSegment).unsqueeze(1); // [B, 1, T, S]
        var lowest = dtype == bfloat16 ? Scalars.LowestBFloat16 : dtype == float16 ? Scalars.LowestFloat16 : Scalars.LowestFloat32;
        return zeros(allowed.shape, dtype, keep.device).masked_fill(allowed.logical_not(), lowest).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Position ids [B, T] of the last <paramref name="queryLength"/> positions: counted over real tokens
    /// only, so left padding does not shift them, and from 0 again at each packed segment's first token.
    /// </summary>
    public static Tensor Positions(Tensor keep, long queryLength)
    {
        using var scope = NewDisposeScope();
        var segments = keep.to(int64);
        var real = segments.ne(Scalars.Zero);
        var counted = real.to(int64).cumsum(1).sub_(Scalars.One); // real tokens before each slot
        // Where a segment starts, the count there; carried forward it is subtracted from every slot after.
        var starts = real & segments.ne(nn.functional.pad(segments, [1, 0])[.., ..^1]);
        var (offsets, _) = (counted * starts.to(int64)).cummax(1); // a start's count is >= 0, so the newest start's is the largest
        var positions = counted.sub_(offsets).clamp_min_(Scalars.Zero);
        return positions[.., (int)(keep.shape[1] - queryLength)..].MoveToOuterDisposeScope();
    }
}
