using Microsoft.ML.Data;
using Microsoft.ML;
using Vlm.Datasets.Sources;
using Vlm.Datasets.Tokenizers;
using Vlm.Transforms.Data;
using Vlm.Transforms.Processing;

namespace Vlm.Transforms.Conversations;

/// <summary>
/// Templates and tokenizes each row's conversation into <c>text</c>,
/// <c>input_ids</c>, <c>labels</c> and <c>num_image_tokens</c> through a <see cref="VlmProcessor"/>
/// (its text half: the ETL keeps images as references, made into pixels when a model reads them).
/// Templating and tokenization are one step because labels are decided at the token boundaries of
/// the template. A record with an image but no <c>&lt;image&gt;</c> tag gets the image before its
/// first question, as LLaVA's own preprocessing puts it. A conversation that cannot be trained on
/// sets <c>reject_reason</c>; rows already rejected pass unchanged, with empty ids. The conversation is
/// the <c>turns</c> column when the view has one (the ETL's records, as read), else the
/// <c>conversations</c> column's LLaVA JSON (any other view); both are checked by the same rules.
/// </summary>
public sealed class ConversationTokenizerTransformer : ColumnMappingTransformer
{
    readonly VlmProcessor _processor;
    readonly int _maxTokens;

    /// <param name="maxTokens">stop tokenizing a conversation once it is longer than this (a length policy after this step drops or cuts it anyway)</param>
    public ConversationTokenizerTransformer(ITextTokenizer tokenizer, ChatTemplateOptions? template = null, int maxTokens = int.MaxValue)
        : this(new VlmProcessor(tokenizer, template ?? new ChatTemplateOptions()), maxTokens)
    {
    }

    /// <param name="processor">the model's processor; only its text half is used</param>
    /// <param name="maxTokens">stop tokenizing a conversation once it is longer than this (a length policy after this step drops or cuts it anyway)</param>
    public ConversationTokenizerTransformer(VlmProcessor processor, int maxTokens = int.MaxValue)
    {
        _processor = processor;
        Template = processor.Conversations.Template;
        _maxTokens = maxTokens >= 1 ? maxTokens : throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "must be positive");
    }

    public ChatTemplateOptions Template { get; }

    internal ITextTokenizer Tokenizer => _processor.Tokenizer;

    /// <summary>The id that marks image positions in <c>input_ids</c>.</summary>
    public int ImageTokenId => _processor.ImageTokenId;

    public override IReadOnlyList<OutputColumn> Outputs { get; } =
    [
        new(VlmColumns.Text, TextDataViewType.Instance),
        new(VlmColumns.InputIds, new VectorDataViewType(NumberDataViewType.Int32)),
        new(VlmColumns.Labels, new VectorDataViewType(NumberDataViewType.Int32)),
        new(VlmColumns.NumImageTokens, NumberDataViewType.Int32),
        new(VlmColumns.RejectReason, TextDataViewType.Instance),
    ];

    private protected override void CheckInput(DataViewSchema input)
    {
        if (!HasTurns(input)) Require(input, VlmColumns.Conversations, TextDataViewType.Instance);
    }

    static bool HasTurns(DataViewSchema input) => input.GetColumnOrNull(VlmColumns.Turns)?.Type is TurnsDataViewType;

    private protected override Delegate[] CreateGetters(DataViewRow input)
    {
        var image = input.Schema.GetColumnOrNull(VlmColumns.Image) is null ? () => "" : RowGetters.ReadText(input, VlmColumns.Image);
        Func<int, (IReadOnlyList<Turn>? Turns, string? Reason)> conversation;
        if (HasTurns(input.Schema))
        {
            var getter = input.GetGetter<IReadOnlyList<Turn>>(input.Schema[VlmColumns.Turns]);
            conversation = images =>
            {
                IReadOnlyList<Turn> turns = [];
                getter(ref turns);
                return ConversationJson.Check(turns, images) is { } reason ? (null, reason) : (turns, null);
            };
        }
        else
        {
            var json = RowGetters.ReadText(input, VlmColumns.Conversations);
            conversation = images => (ConversationJson.Parse(json(), images, out string? reason), reason);
        }
        var prior = PriorRejectReason(input);
        var encoded = new RowCache<(EncodedConversation? Value, string Reject)>(input, () => Encode(prior(), conversation, image));
        return
        [
            RowGetters.Text(() => encoded.Value.Value?.Text ?? ""),
            RowGetters.Int32s(() => encoded.Value.Value?.InputIds ?? []),
            RowGetters.Int32s(() => encoded.Value.Value?.Labels ?? []),
            Int32Output(() => encoded.Value.Value?.NumImageTokens ?? 0),
            RowGetters.Text(() => encoded.Value.Reject),
        ];
    }

    (EncodedConversation?, string) Encode(string reject, Func<int, (IReadOnlyList<Turn>? Turns, string? Reason)> conversation, Func<string> image)
    {
        if (reject.Length > 0) return (null, reject);
        bool hasImage = image().Length > 0;
        var (turns, reason) = conversation(hasImage ? 1 : 0);
        if (turns is null) return (null, reason!);
        return (_processor.Encode(new ConversationRecord("", hasImage ? image() : null, turns).WithImageTag(), _maxTokens), "");
    }
}
