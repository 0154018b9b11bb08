using Microsoft.ML;
using Vlm.Datasets.Tokenizers;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Data;
using Vlm.Transforms.Etl;
using Vlm.Transforms.Images;
using Vlm.Transforms.Processing;
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

    /// <summary>
    /// Opens the Parquet shards of an ETL output folder (its <c>manifest.json</c>), or of several read one
    /// after another (prepared with the same template and tokenizer; each row's image is found in its source's folder).
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="folders">The ETL output folders.</param>
    public static IDataView LoadShards(this DataOperationsCatalog catalog, params string[] folders) => ShardDataView.Open(folders);

    /// <summary>
    /// Writes the output of the ETL chain (<c>LoadConversations</c> -> <c>CheckImages</c> ->
    /// <c>TokenizeConversations</c> -> <c>ApplyLengthPolicy</c>) as Parquet shards with the manifest and
    /// rejects file that <c>vlm prepare</c> writes for the same settings (the same bytes; with
    /// <see cref="LengthPolicy.Truncate"/> a cut row's <c>text</c> keeps the whole conversation, where
    /// <c>vlm prepare</c> stops reading it shortly after the cut), so that
    /// <see cref="LoadShards"/> and the trainer read them. Rejected rows go to <c>rejects.jsonl</c>. A folder
    /// already holding these rows is left as it is (finished shards are skipped); one made from other
    /// inputs is refused unless <paramref name="overwrite"/>.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="rows">The chain's output, e.g. <c>steps.Fit(records).Transform(records)</c>.</param>
    /// <param name="folder">The output folder.</param>
    /// <param name="recordsPerShard">Input records per shard; the ETL's default when null.</param>
    /// <param name="overwrite">Replace output made from other inputs instead of refusing.</param>
    /// <returns>The manifest written.</returns>
    public static EtlManifest SaveAsShards(this DataOperationsCatalog catalog, IDataView rows, string folder, int? recordsPerShard = null, bool overwrite = false)
    {
        var (options, tokenizer) = EtlChain.Of(rows, folder);
        options = options with { RecordsPerShard = recordsPerShard ?? options.RecordsPerShard, Overwrite = overwrite };
        var result = new EtlRunner(tokenizer, options).WriteAsync(_ => rows).GetAwaiter().GetResult();
        return result.Manifest ?? throw new InvalidOperationException($"{folder}: no manifest was written");
    }

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

    /// <summary>Templates and tokenizes <c>conversations</c> with a model's <see cref="VlmProcessor"/> (its text half).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="processor">The processor the model reads its inputs through.</param>
    public static ColumnMappingEstimator<ConversationTokenizerTransformer> TokenizeConversations(this TransformsCatalog catalog, VlmProcessor processor) =>
        new(new ConversationTokenizerTransformer(processor));

    /// <summary>Drops or truncates rows longer than <paramref name="maxLength"/> tokens.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="maxLength">The longest row kept, in tokens.</param>
    /// <param name="policy">Drop longer rows, or cut them.</param>
    /// <param name="imageTokenId">The image placeholder id (<see cref="ConversationTokenizerTransformer.ImageTokenId"/>): a cut through image tokens rejects the row.</param>
    public static ColumnMappingEstimator<LengthPolicyTransformer> ApplyLengthPolicy(this TransformsCatalog catalog,
        int maxLength, LengthPolicy policy, int imageTokenId) =>
        new(new LengthPolicyTransformer(maxLength, policy, imageTokenId));
}
