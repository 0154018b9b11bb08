using Microsoft.ML;
using Vlm.Datasets.Tokenizers;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Data;
using Vlm.Transforms.Etl;
using Vlm.Transforms.Images;
using Vlm.Transforms.Shards;

namespace Vlm.Transforms;

/// <summary>
/// The ETL steps as ML.NET catalog entries, composable with <c>Append</c>:
/// <code>
/// var records = ml.Data.LoadConversations(new EtlSource(SourceFormat.Llava, "detail_23k.json", "train2017"));
/// var steps = ml.Transforms.CheckImages("train2017")
///     .Append(ml.Transforms.TokenizeConversations(tokenizer))
///     .Append(ml.Transforms.ApplyLengthPolicy(2048, LengthPolicy.Drop, imageTokenId));
/// IDataView rows = steps.Fit(records).Transform(records);
/// </code>
/// Rejected records stay in the view with a non-empty <c>reject_reason</c>; filter on it or count it.
/// </summary>
public static class VlmTransformsCatalog
{
    /// <summary>Streams one annotation file's records (LLaVA JSON/JSONL, AI Challenger, COCO captions).</summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="source">The file, its format and its image folder.</param>
    /// <param name="seed">Seeds the caption policy of caption sources.</param>
    /// <param name="allowPartial">A break in the file's framing (truncated) ends it as one rejected record instead of failing the read.</param>
    public static IDataView LoadConversations(this DataOperationsCatalog catalog, EtlSource source, int seed = 42, bool allowPartial = false) =>
        new ConversationDataView(source, seed, allowPartial);

    /// <summary>Opens the Parquet shards of an ETL output folder (its <c>manifest.json</c>).</summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="folder">The ETL output folder.</param>
    public static IDataView LoadShards(this DataOperationsCatalog catalog, string folder) => ShardDataView.Open(folder);

    /// <summary>Resolves <c>image</c> under <paramref name="imageRoot"/>, checks it decodes, adds <c>image_sha256</c>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="imageRoot">The folder image paths are relative to; paths that leave it are rejected.</param>
    public static ColumnMappingEstimator<ImageCheckTransformer> CheckImages(this TransformsCatalog catalog, string imageRoot) =>
        new(new ImageCheckTransformer(imageRoot));

    /// <summary>Templates and tokenizes <c>conversations</c> into <c>text</c>, <c>input_ids</c>, <c>labels</c>, <c>num_image_tokens</c>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="tokenizer">A Qwen tokenizer (<see cref="QwenTokenizer.Load"/>).</param>
    /// <param name="template">Chat format, system prompt, image token count; the original's by default.</param>
    public static ColumnMappingEstimator<ConversationTokenizerTransformer> TokenizeConversations(this TransformsCatalog catalog,
        ITextTokenizer tokenizer, ChatTemplateOptions? template = null) =>
        new(new ConversationTokenizerTransformer(tokenizer, template));

    /// <summary>Drops or truncates rows longer than <paramref name="maxLength"/> tokens.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="maxLength">The longest row kept, in tokens.</param>
    /// <param name="policy">Drop longer rows, or cut them.</param>
    /// <param name="imageTokenId">The image placeholder id (<see cref="ConversationTokenizerTransformer.ImageTokenId"/>): a cut through image tokens rejects the row.</param>
    public static ColumnMappingEstimator<LengthPolicyTransformer> ApplyLengthPolicy(this TransformsCatalog catalog,
        int maxLength, LengthPolicy policy, int imageTokenId) =>
        new(new LengthPolicyTransformer(maxLength, policy, imageTokenId));
}
