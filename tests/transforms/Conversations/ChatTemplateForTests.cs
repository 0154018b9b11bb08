using Vlm.Datasets.Tokenizers;
using Vlm.Tests.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Transforms.Conversations;

namespace Vlm.Tests.Transforms.Conversations;

/// <summary>A tokenizer's own chat format, found by the special token each built-in template names as its mark.</summary>
[Collection(TokenizerCollection.Name)]
public sealed class ChatTemplateForTests(TokenizerFixture tokenizers) : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Each_real_tokenizer_gets_the_format_it_is_made_for()
    {
        Assert.Same(ChatTemplate.Qwen, ChatTemplate.For(tokenizers.Qwen));
        // Qwen2's tokenizer also holds chatml's tokens: its own mark is tried first.
        Assert.Same(ChatTemplate.Qwen2, ChatTemplate.For(tokenizers.Qwen2));
        Assert.Same(ChatTemplate.VicunaV1, ChatTemplate.For(TextTokenizer.Load(LlamaTokenizerFolders.Write(_root.Path, "llama2"))));
        Assert.Same(ChatTemplate.Llama3, ChatTemplate.For(TextTokenizer.Load(LlamaTokenizerFolders.Write(_root.Path, "llama3"))));
    }

    [Fact]
    public void A_tokenizer_without_any_mark_is_refused_listing_the_marks()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatTemplate.For(new Unmarked()));
        Assert.Contains("<|image_pad|>, <|im_start|>, <|eot_id|>, </s>", e.Message);
        Assert.Contains("name the template", e.Message);
    }

    sealed class Unmarked : ITextTokenizer
    {
        public IReadOnlyList<int> Encode(string text) => [];
        public IReadOnlyList<int> Encode(string text, bool parseSpecialTokens, int maxTokens = int.MaxValue) => [];
        public string Decode(IEnumerable<int> ids) => "";
        public int? SpecialTokenId(string token) => null;
        public int VocabularySize => 0;
        public string Fingerprint => "none";
        public string Kind => "none";
    }
}
