using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Datasets.Sources;
using Vlm.Tests.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Transforms;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Data;
using Vlm.Transforms.Etl;

namespace Vlm.Tests.Transforms;

/// <summary>The ETL steps as a user composes them from the ML.NET catalog.</summary>
[Collection(TokenizerCollection.Name)]
public class EtlStepsTests(TokenizerFixture tokenizers) : IDisposable
{
    readonly TempFolder _data = new();
    readonly MLContext _ml = new(seed: 1);
    static readonly ChatTemplateOptions Template = new() { ImageTokenCount = 4 };

    public void Dispose() => _data.Dispose();

    sealed class Row
    {
        [ColumnName("id")] public string Id { get; set; } = "";
        [ColumnName("image")] public string Image { get; set; } = "";
        [ColumnName("image_sha256")] public string ImageSha256 { get; set; } = "";
        [ColumnName("input_ids")] public int[] InputIds { get; set; } = [];
        [ColumnName("labels")] public int[] Labels { get; set; } = [];
        [ColumnName("truncated")] public bool Truncated { get; set; }
        [ColumnName("reject_reason")] public string RejectReason { get; set; } = "";
    }

    EtlSource Source(params string[] records)
    {
        TestImages.Write(_data.File("images/a.png"), 8, 8);
        File.WriteAllText(_data.File("images/bad.png"), "not an image");
        File.WriteAllText(_data.File("data.json"), "[" + string.Join(",", records) + "]");
        return new EtlSource(SourceFormat.Llava, _data.File("data.json"), _data.File("images"));
    }

    IEstimator<ITransformer> Steps(EtlSource source, int maxLength = 2048, LengthPolicy policy = LengthPolicy.Drop)
    {
        var tokenize = _ml.Transforms.TokenizeConversations(tokenizers.Qwen, Template);
        return _ml.Transforms.CheckImages(source.Images)
            .Append(tokenize)
            .Append(_ml.Transforms.ApplyLengthPolicy(maxLength, policy, tokenize.Fit(_ml.Data.LoadConversations(source)).ImageTokenId));
    }

    List<Row> Run(EtlSource source, IEstimator<ITransformer> steps)
    {
        var records = _ml.Data.LoadConversations(source);
        return _ml.Data.CreateEnumerable<Row>(steps.Fit(records).Transform(records), reuseRowObject: false).ToList();
    }

    const string Good = """{"id": "g", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A circle."}]}""";

    /// <summary>A view that refuses to give one column: what a step reads from it shows.</summary>
    sealed class WithoutColumn(IDataView inner, string refused) : IDataView
    {
        public bool CanShuffle => false;
        public DataViewSchema Schema => inner.Schema;
        public long? GetRowCount() => inner.GetRowCount();
        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(inner.GetRowCursor(columnsNeeded, rand), refused);
        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

        sealed class Cursor(DataViewRowCursor inner, string refused) : DataViewRowCursor
        {
            public override DataViewSchema Schema => inner.Schema;
            public override long Position => inner.Position;
            public override long Batch => inner.Batch;
            public override bool MoveNext() => inner.MoveNext();
            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();
            public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);
            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
                column.Name == refused ? throw new InvalidOperationException($"'{refused}' was read") : inner.GetGetter<TValue>(column);
            protected override void Dispose(bool disposing)
            {
                if (disposing) inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }

    sealed class TokenRow
    {
        [ColumnName("input_ids")] public int[] InputIds { get; set; } = [];
        [ColumnName("labels")] public int[] Labels { get; set; } = [];
        [ColumnName("reject_reason")] public string RejectReason { get; set; } = "";
    }

    sealed class JsonRecord
    {
        [ColumnName("id")] public string Id { get; set; } = "";
        [ColumnName("image")] public string Image { get; set; } = "";
        [ColumnName("conversations")] public string Conversations { get; set; } = "";
    }

    [Fact]
    public void The_tokenizer_reads_the_records_parsed_turns_and_a_view_of_llava_json_alike()
    {
        const string Two = """{"id": "t", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A circle."}, {"from": "human", "value": "And its colour?"}, {"from": "gpt", "value": "Red."}]}""";
        const string Bad = """{"id": "b", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A <image> circle."}]}""";
        var source = Source(Good, Two, Bad);
        var tokenize = _ml.Transforms.TokenizeConversations(tokenizers.Qwen, Template);
        // The ETL's records: the tokenizer takes their turns as read; their LLaVA JSON is never made.
        var records = new WithoutColumn(_ml.Data.LoadConversations(source), VlmColumns.Conversations);
        var fromTurns = _ml.Data.CreateEnumerable<TokenRow>(tokenize.Fit(records).Transform(records), reuseRowObject: false).ToList();
        Assert.Equal(["", "", "an answer holds <image>: turn 1"], fromTurns.Select(r => r.RejectReason));

        // Any other view: a conversations column of LLaVA JSON, checked by the same rules, tokenized the same.
        var json = _ml.Data.LoadFromEnumerable(new[] { Good, Two, Bad }.Select(r =>
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(r)!;
            return new JsonRecord { Id = (string)node["id"]!, Image = (string)node["image"]!, Conversations = node["conversations"]!.ToJsonString() };
        }));
        var fromJson = _ml.Data.CreateEnumerable<TokenRow>(tokenize.Fit(json).Transform(json), reuseRowObject: false).ToList();
        Assert.Equal(fromJson.Select(r => (r.RejectReason, string.Join(",", r.InputIds), string.Join(",", r.Labels))),
            fromTurns.Select(r => (r.RejectReason, string.Join(",", r.InputIds), string.Join(",", r.Labels))));
        Assert.Equal(Assert.Single(Run(Source(Good), Steps(Source(Good)))).InputIds, fromTurns[0].InputIds);
    }

    [Theory]
    [InlineData("human:<image>\nWhat?|gpt:A circle.", 1, null)]
    [InlineData("", 0, "conversations is empty")]
    [InlineData("gpt:A circle.", 0, "turns do not alternate human, gpt: turn 0 is from 'gpt'")]
    [InlineData("human:What?|gpt: ", 0, "empty answer: turn 1")]
    [InlineData("human:What?|gpt:A <image>.", 1, "an answer holds <image>: turn 1")]
    [InlineData("human:What?|gpt:A circle.|human:And?", 0, "the last turn is not an answer")]
    [InlineData("human:<image><image>What?|gpt:Two.", 1, "more <image> tags than images: 2 tags, 1 image")]
    public void Parsed_turns_are_checked_by_the_rules_their_llava_json_is(string turns, int images, string? reason)
    {
        var parsed = turns.Length == 0 ? [] : turns.Replace("\\n", "\n").Split('|').Select(t => t.Split(':', 2))
            .Select(t => new Turn(t[0] == "human" ? Speaker.Human : Speaker.Assistant, t[1])).ToList();
        Assert.Equal(reason, ConversationJson.Check(parsed, images));
        ConversationJson.Parse(ConversationJson.Write(parsed), images, out string? fromJson);
        Assert.Equal(reason, fromJson);
    }

    [Fact]
    public void Appended_steps_give_the_encoders_ids_and_the_image_hash()
    {
        var source = Source(Good);
        var row = Assert.Single(Run(source, Steps(source)));
        var expected = new ConversationEncoder(tokenizers.Qwen, Template).Encode(new ConversationRecord("g", "a.png",
            [new Turn(Speaker.Human, "<image>\nWhat is it?"), new Turn(Speaker.Assistant, "A circle.")]));
        Assert.Equal("", row.RejectReason);
        Assert.Equal(expected.InputIds, row.InputIds);
        Assert.Equal(expected.Labels, row.Labels);
        Assert.Equal("a.png", row.Image);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(_data.File("images/a.png")))), row.ImageSha256);
    }

    [Fact]
    public void The_readmes_chain_with_default_options_takes_the_chat_format_from_the_tokenizer()
    {
        // README's snippet, with the built-in (Qwen2) tokenizer and new ChatTemplateOptions(): the format follows the tokenizer.
        var source = Source(Good);
        var tokenize = _ml.Transforms.TokenizeConversations(tokenizers.Qwen2, new ChatTemplateOptions { ImageTokenCount = 4 });
        var steps = _ml.Transforms.CheckImages(source.Images).Append(tokenize)
            .Append(_ml.Transforms.ApplyLengthPolicy(2048, LengthPolicy.Drop, tokenize.Fit(_ml.Data.LoadConversations(source)).ImageTokenId));
        var row = Assert.Single(Run(source, steps));
        Assert.Equal("", row.RejectReason);
        Assert.Contains(tokenizers.Qwen2.SpecialTokenId("<|image_pad|>")!.Value, row.InputIds);
        // The original's Qwen-7B tokenizer keeps the original's format.
        Assert.Equal(ChatFormat.Qwen, new ConversationEncoder(tokenizers.Qwen, new ChatTemplateOptions()).Template.Format);
        Assert.Equal(ChatFormat.Qwen2, new ConversationEncoder(tokenizers.Qwen2, new ChatTemplateOptions()).Template.Format);
    }

    [Fact]
    public void A_preview_of_the_chain_shows_each_column_once_with_the_last_steps_values()
    {
        var source = Source(Good.Replace("a.png", "bad.png"), Good);
        var records = _ml.Data.LoadConversations(source);
        int whole = new ConversationEncoder(tokenizers.Qwen, Template).Encode(new ConversationRecord("g", "a.png",
            [new Turn(Speaker.Human, "<image>\nWhat is it?"), new Turn(Speaker.Assistant, "A circle.")])).InputIds.Length;
        var preview = Steps(source, maxLength: whole - 1, LengthPolicy.Truncate).Fit(records).Transform(records).Preview();

        var names = preview.Schema.Select(c => c.Name).ToList();
        Assert.Equal(names.Distinct(), names);
        Assert.All(preview.Schema, c => Assert.False(c.IsHidden));
        Assert.Contains(VlmColumns.RejectReason, names);
        string Value(int row, string column) => preview.RowView[row].Values.Single(v => v.Key == column).Value.ToString()!;
        Assert.Equal("image does not decode: bad.png", Value(0, VlmColumns.RejectReason));
        // The good row's ids are the length policy's (cut by one), not the tokenizer's.
        Assert.Equal("", Value(1, VlmColumns.RejectReason));
        Assert.Equal(whole - 1, ((Microsoft.ML.Data.VBuffer<int>)preview.RowView[1].Values.Single(v => v.Key == VlmColumns.InputIds).Value).Length);
        Assert.Equal("True", Value(1, VlmColumns.Truncated));
    }

    [Fact]
    public void A_bad_record_keeps_its_row_with_the_first_reason_and_no_ids()
    {
        var source = Source(Good.Replace("a.png", "bad.png"), Good.Replace("a.png", "../a.png"), Good);
        var rows = Run(source, Steps(source));
        Assert.Equal(["image does not decode: bad.png", "image path escapes the image root: ../a.png", ""], rows.Select(r => r.RejectReason));
        Assert.Empty(rows[0].InputIds);
        Assert.NotEmpty(rows[2].InputIds);
    }

    [Fact]
    public void Length_policy_truncates_or_drops_and_says_which()
    {
        var source = Source(Good.Replace("A circle.", string.Concat(Enumerable.Repeat("word ", 50))));
        var full = Assert.Single(Run(source, Steps(source))).InputIds.Length;
        int max = full - 10;

        var cut = Assert.Single(Run(source, Steps(source, max, LengthPolicy.Truncate)));
        Assert.True(cut.Truncated);
        Assert.Equal(max, cut.InputIds.Length);
        Assert.Equal(max, cut.Labels.Length);

        var dropped = Assert.Single(Run(source, Steps(source, max, LengthPolicy.Drop)));
        Assert.Equal($"too long: more than max_length {max} tokens", dropped.RejectReason);
    }

    [Fact]
    public void Fit_names_a_missing_input_column()
    {
        var view = _ml.Data.LoadFromEnumerable(new[] { new { id = "x" } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Transforms.TokenizeConversations(tokenizers.Qwen).Fit(view));
        Assert.Contains("'conversations'", e.Message);
    }

    [Fact]
    public void The_estimator_chain_announces_the_columns_it_adds()
    {
        var source = Source(Good);
        var shape = Steps(source).GetOutputSchema(CreateShape(null, _ml.Data.LoadConversations(source).Schema));
        var columns = shape.ToDictionary(c => c.Name);
        foreach (var name in new[] { VlmColumns.ImageSha256, VlmColumns.InputIds, VlmColumns.Labels, VlmColumns.NumImageTokens, VlmColumns.Truncated, VlmColumns.RejectReason })
            Assert.True(columns.ContainsKey(name), name);
        Assert.Equal(SchemaShape.Column.VectorKind.VariableVector, columns[VlmColumns.InputIds].Kind);
        Assert.Equal(NumberDataViewType.Int32, columns[VlmColumns.InputIds].ItemType);
    }

    // The input shape as ML.NET's own estimators get it (SchemaShape.Create is internal to ML.NET).
    [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.StaticMethod, Name = "Create")]
    static extern SchemaShape CreateShape(SchemaShape? type, DataViewSchema schema);
}
