using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Data;

namespace Vlm.Transforms.Etl;

/// <summary>
/// Applies <c>max_length</c> to <c>input_ids</c> and <c>labels</c>: a longer row is rejected
/// (<see cref="LengthPolicy.Drop"/>) or cut (<see cref="LengthPolicy.Truncate"/>, flagged in
/// <c>truncated</c>). A cut that would split an image's tokens or leave no trained label rejects
/// the row instead, since the model could not use it.
/// </summary>
public sealed class LengthPolicyTransformer(int maxLength, LengthPolicy policy, int imageTokenId) : ColumnMappingTransformer
{
    public int MaxLength { get; } = maxLength >= 1 ? maxLength : throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "max_length must be positive");
    public LengthPolicy Policy { get; } = policy;
    /// <summary>The image placeholder id a cut must not split.</summary>
    public int ImageTokenId { get; } = imageTokenId;

    public override IReadOnlyList<OutputColumn> Outputs { get; } =
    [
        new(VlmColumns.InputIds, new VectorDataViewType(NumberDataViewType.Int32)),
        new(VlmColumns.Labels, new VectorDataViewType(NumberDataViewType.Int32)),
        new(VlmColumns.Truncated, BooleanDataViewType.Instance),
        new(VlmColumns.RejectReason, TextDataViewType.Instance),
    ];

    private protected override void CheckInput(DataViewSchema input)
    {
        Require(input, VlmColumns.InputIds, new VectorDataViewType(NumberDataViewType.Int32));
        Require(input, VlmColumns.Labels, new VectorDataViewType(NumberDataViewType.Int32));
    }

    private protected override Delegate[] CreateGetters(DataViewRow input)
    {
        var ids = RowGetters.ReadInt32s(input, VlmColumns.InputIds);
        var labels = RowGetters.ReadInt32s(input, VlmColumns.Labels);
        // The tokenizer step may stop early on a long conversation: the image tokens it would have made are in num_image_tokens.
        Func<int>? imageTokens = input.Schema.GetColumnOrNull(VlmColumns.NumImageTokens) is not null ? RowGetters.ReadInt32(input, VlmColumns.NumImageTokens) : null;
        var prior = PriorRejectReason(input);
        var result = new RowCache<(int[] Ids, int[] Labels, bool Truncated, string Reject)>(input, () => Apply(prior(), ids(), labels(), imageTokens?.Invoke()));
        return
        [
            RowGetters.Int32s(() => result.Value.Ids),
            RowGetters.Int32s(() => result.Value.Labels),
            BooleanOutput(() => result.Value.Truncated),
            RowGetters.Text(() => result.Value.Reject),
        ];
    }

    (int[], int[], bool, string) Apply(string reject, int[] ids, int[] labels, int? imageTokens)
    {
        if (reject.Length > 0 || ids.Length <= MaxLength) return (ids, labels, false, reject);
        if (Policy == LengthPolicy.Drop)
            return ([], [], false, $"too long: more than max_length {MaxLength} tokens");
        int kept = ids.AsSpan(0, MaxLength).Count(ImageTokenId);
        if (kept < (imageTokens ?? ids.AsSpan().Count(ImageTokenId)))
            return ([], [], false, $"truncating to max_length {MaxLength} would cut image tokens");
        if (labels.AsSpan(0, MaxLength).IndexOfAnyExcept(EncodedConversation.IgnoreIndex) < 0)
            return ([], [], false, $"no answer left after truncating to max_length {MaxLength}");
        return (ids[..MaxLength], labels[..MaxLength], true, "");
    }
}
