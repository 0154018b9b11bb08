using Microsoft.ML;
using Vlm.Datasets.Tokenizers;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Data;
using Vlm.Transforms.Images;

namespace Vlm.Transforms.Etl;

/// <summary>
/// The settings of an ETL chain built from the catalog (<c>LoadConversations</c> -> <c>CheckImages</c>
/// -> <c>TokenizeConversations</c> -> <c>ApplyLengthPolicy</c>), read back from the view it produced,
/// so that writing that view as shards records the same manifest as <c>vlm prepare</c> with those
/// settings, and rereads and resumes exactly as it does.
/// </summary>
internal static class EtlChain
{
    const string Expected = "ml.Data.LoadConversations -> ml.Transforms.CheckImages -> TokenizeConversations -> ApplyLengthPolicy";

    /// <summary>The ETL options that reproduce <paramref name="rows"/>, writing to <paramref name="output"/>; refuses a view of another making.</summary>
    public static (EtlOptions Options, ITextTokenizer Tokenizer) Of(IDataView rows, string output)
    {
        var length = Step<LengthPolicyTransformer>(rows, "the last step");
        var tokenize = Step<ConversationTokenizerTransformer>(length.Input, "before ApplyLengthPolicy");
        var images = Step<ImageCheckTransformer>(tokenize.Input, "before TokenizeConversations");
        if (images.Input is not ConversationDataView records)
            throw Refusal($"the view before CheckImages is a {images.Input.GetType().Name}, not ml.Data.LoadConversations' records");
        var check = (ImageCheckTransformer)images.Transformer;
        var tokenizer = (ConversationTokenizerTransformer)tokenize.Transformer;
        var policy = (LengthPolicyTransformer)length.Transformer;
        // vlm prepare cuts around the tokenizer's own image id; a policy given another would cut other rows.
        if (policy.ImageTokenId != tokenizer.ImageTokenId)
            throw Refusal($"ApplyLengthPolicy was given image token id {policy.ImageTokenId}, but TokenizeConversations marks images with {tokenizer.ImageTokenId}");
        var options = new EtlOptions
        {
            // The images are checked under the chain's own root, whatever folder the source named.
            Sources = [records.Source with { Images = check.ImageRoot }],
            Output = output,
            Template = tokenizer.Template,
            Seed = records.Seed,
            AllowPartial = records.AllowPartial,
            MaxImagePixels = check.MaxPixels,
            MaxLength = policy.MaxLength,
            LengthPolicy = policy.Policy,
        };
        return (options, tokenizer.Tokenizer);
    }

    static MappedDataView Step<T>(IDataView view, string where) where T : ColumnMappingTransformer =>
        view is MappedDataView { Transformer: T } mapped ? mapped
            : throw Refusal($"{where} should be {typeof(T).Name.Replace("Transformer", "")}, but is {Describe(view)}");

    static string Describe(IDataView view) => view is MappedDataView mapped ? mapped.Transformer.GetType().Name : $"a {view.GetType().Name}";

    static ArgumentException Refusal(string what) => new(
        $"SaveAsShards writes the output of the ETL chain {Expected} (what vlm prepare runs), so that its manifest can say how the rows were made; "
        + $"{what}. Keep other transforms after the shards (ml.Data.LoadShards), and leave rejected rows in: they go to rejects.jsonl", "rows");
}
