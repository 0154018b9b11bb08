using Vlm.Datasets.Sources;
using Vlm.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Transforms.Conversations;

namespace Vlm.Tests.Transforms.Conversations;

/// <summary>
/// LLaVA-1.5's vicuna_v1 and Llama 3's chat formats over the real Llama tokenizers: the ids are the
/// whole rendered text's (the tokenizers themselves match Hugging Face's, LlamaTokenizerParityTests),
/// though the encoder tokenizes turn by turn, and only answers with their end token are trained.
/// </summary>
public sealed class LlamaChatTemplateTests : IDisposable
{
    const int Ignore = EncodedConversation.IgnoreIndex;
    readonly TempFolder _root = new();
    readonly ITextTokenizer _llama2, _llama3;

    public LlamaChatTemplateTests()
    {
        _llama2 = TextTokenizer.Load(LlamaTokenizerFolders.Write(_root.Path, "llama2", imageToken: true));
        _llama3 = TextTokenizer.Load(LlamaTokenizerFolders.Write(_root.Path, "llama3", imageToken: true));
    }

    public void Dispose() => _root.Dispose();

    static ConversationRecord Record(params string[] turns) =>
        new("r", "a.jpg", turns.Select((t, i) => new Turn(i % 2 == 0 ? Speaker.Human : Speaker.Assistant, t)).ToList());

    static readonly ConversationRecord[] Conversations =
    [
        Record("<image>\nWhat is in the image?", "A red bus on a street.", "What color is it?", "Red."),
        Record("Describe <image> briefly.", " Two  spaces and a\nnewline.", "多语言? 中文", "是的，中文。"),
        Record("<image>", "1234567 digits", "Again?", "don't stop."),
    ];

    public static TheoryData<string> Formats() => ["vicuna_v1", "llama3"];

    ITextTokenizer Tokenizer(string format) => format == "vicuna_v1" ? _llama2 : _llama3;

    [Theory]
    [MemberData(nameof(Formats))]
    public void The_ids_are_those_of_the_whole_rendered_conversation(string format)
    {
        var tokenizer = Tokenizer(format);
        foreach (string? system in new[] { null, ChatTemplate.VicunaV1SystemPrompt })
        {
            var encoder = new ConversationEncoder(tokenizer, new ChatTemplateOptions { Format = ChatTemplate.Named(format).Format, SystemPrompt = system, ImageTokenCount = 1 });
            foreach (var record in Conversations)
            {
                var encoded = encoder.Encode(record);
                Assert.Equal(tokenizer.Encode(encoded.Text), encoded.InputIds);
                Assert.Equal(tokenizer.Encode(encoded.Text[..encoded.Text.LastIndexOf(record.Turns[^1].Text, StringComparison.Ordinal)].TrimEnd(' ')),
                    encoder.EncodePrompt(record with { Turns = record.Turns.Take(record.Turns.Count - 1).ToList() }));
            }
        }
    }

    [Fact]
    public void Vicuna_renders_as_llava_1_5_and_trains_the_answers_with_their_end_token()
    {
        var encoder = new ConversationEncoder(_llama2, new ChatTemplateOptions { Format = ChatFormat.VicunaV1, SystemPrompt = ChatTemplate.VicunaV1SystemPrompt, ImageTokenCount = 3 });
        var encoded = encoder.Encode(Conversations[0]);
        Assert.Equal($"<s>{ChatTemplate.VicunaV1SystemPrompt} USER: <image>\nWhat is in the image? ASSISTANT: A red bus on a street.</s>USER: What color is it? ASSISTANT: Red.</s>", encoded.Text);
        int image = _llama2.SpecialTokenId("<image>")!.Value;
        Assert.Equal(3, encoded.InputIds.Count(id => id == image));
        var trained = encoded.InputIds.Where((_, i) => encoded.Labels[i] != Ignore).ToArray();
        Assert.Equal("A red bus on a street.</s> Red.</s>", _llama2.Decode(trained));
        Assert.Equal([_llama2.SpecialTokenId("</s>")!.Value], encoder.StopTokenIds);
    }

    [Fact]
    public void Llama3_renders_headers_and_trains_each_answer_with_eot()
    {
        var encoder = new ConversationEncoder(_llama3, new ChatTemplateOptions { SystemPrompt = null, ImageTokenCount = 2 });
        Assert.Equal(ChatFormat.Llama3, encoder.Template.Format); // chosen from the tokenizer's special tokens
        var encoded = encoder.Encode(Conversations[0]);
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n<image>\nWhat is in the image?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nA red bus on a street.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat color is it?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nRed.<|eot_id|>", encoded.Text);
        var trained = encoded.InputIds.Where((_, i) => encoded.Labels[i] != Ignore).ToArray();
        Assert.Equal("A red bus on a street.<|eot_id|>Red.<|eot_id|>", _llama3.Decode(trained));
    }

    [Fact]
    public void A_tokenizer_without_the_image_token_is_refused_naming_the_token_and_format()
    {
        var plain = TextTokenizer.Load(LlamaTokenizerFolders.Write(_root.Path, "llama2"));
        var e = Assert.Throws<ArgumentException>(() => new ConversationEncoder(plain, new ChatTemplateOptions { Format = ChatFormat.VicunaV1 }));
        Assert.Contains("no <image> token, which the vicuna_v1 chat format needs", e.Message);
    }

    [Fact]
    public void The_hugging_face_jinja_template_is_written_from_the_same_data()
    {
        string jinja = ChatTemplateJinja.For(new ChatTemplateOptions { Format = ChatFormat.VicunaV1, SystemPrompt = null });
        Assert.Contains("\"USER: \"", jinja);
        Assert.Contains("\"ASSISTANT: \"", jinja);
        Assert.Contains("\"</s>\"", jinja);
        Assert.Contains("\"<image>\\n\"", jinja);
        Assert.Equal("<image>", ChatTemplate.Of(ChatFormat.Llama3).ImageToken);
    }
}
