using System.Text;

namespace Vlm.Tests.Datasets.Tokenizers;

/// <summary>
/// Ids equal Hugging Face's on every line of the multilingual corpus. The expected ids were computed
/// by Hugging Face's Rust tokenizers (tests/reference/tokenizer/make_expected.js).
/// </summary>
[Collection(TokenizerCollection.Name)]
public class QwenTokenizerParityTests(TokenizerFixture tokenizers)
{
    [Fact]
    public void Qwen2_tokenizer_json_ids_equal_hugging_face_on_every_corpus_line() =>
        TokenizerParity.AssertAllMatch(tokenizers.Qwen2, "expected-qwen2.jsonl", atLeast: 401);

    [Fact]
    public void Qwen7B_tiktoken_ids_equal_hugging_face_on_every_corpus_line() =>
        TokenizerParity.AssertAllMatch(tokenizers.Qwen, "expected-qwen.jsonl", atLeast: 401);

    [Fact]
    public void Decoding_returns_the_normalized_text_for_every_corpus_line()
    {
        foreach (var (text, _) in TokenizerParity.Expected("expected-qwen2.jsonl"))
        {
            string nfc = text.Normalize(NormalizationForm.FormC);
            Assert.Equal(nfc, tokenizers.Qwen2.Decode(tokenizers.Qwen2.Encode(text)));
            Assert.Equal(nfc, tokenizers.Qwen.Decode(tokenizers.Qwen.Encode(text)));
        }
    }
}
