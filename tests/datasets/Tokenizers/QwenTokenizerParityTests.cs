using System.Text;
using System.Text.Json;
using Vlm.Datasets.Tokenizers;

namespace Vlm.Tests.Datasets.Tokenizers;

/// <summary>
/// Ids equal Hugging Face's on every line of the multilingual corpus. The expected ids were computed
/// by Hugging Face's Rust tokenizers (tests/reference/tokenizer/make_expected.js).
/// </summary>
[Collection(TokenizerCollection.Name)]
public class QwenTokenizerParityTests(TokenizerFixture tokenizers)
{
    static List<(string Text, int[] Ids)> Expected(string file) =>
        File.ReadLines(TokenizerFixture.DataFile(file)).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return (doc.RootElement.GetProperty("text").GetString()!,
                doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        }).ToList();

    static void AssertAllMatch(QwenTokenizer tokenizer, string file)
    {
        var cases = Expected(file);
        Assert.True(cases.Count > 400, "the corpus is unexpectedly small");
        var mismatches = cases
            .Select(c => (c.Text, c.Ids, Actual: tokenizer.Encode(c.Text).ToArray()))
            .Where(c => !c.Ids.SequenceEqual(c.Actual))
            .Select(c => $"{JsonSerializer.Serialize(c.Text)}\n  expected [{string.Join(",", c.Ids)}]\n  actual   [{string.Join(",", c.Actual)}]")
            .ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {cases.Count} lines differ:\n" + string.Join("\n", mismatches.Take(10)));
    }

    [Fact]
    public void Qwen2_tokenizer_json_ids_equal_hugging_face_on_every_corpus_line() =>
        AssertAllMatch(tokenizers.Qwen2, "expected-qwen2.jsonl");

    [Fact]
    public void Qwen7B_tiktoken_ids_equal_hugging_face_on_every_corpus_line() =>
        AssertAllMatch(tokenizers.Qwen, "expected-qwen.jsonl");

    [Fact]
    public void Decoding_returns_the_normalized_text_for_every_corpus_line()
    {
        foreach (var (text, _) in Expected("expected-qwen2.jsonl"))
        {
            string nfc = text.Normalize(NormalizationForm.FormC);
            Assert.Equal(nfc, tokenizers.Qwen2.Decode(tokenizers.Qwen2.Encode(text)));
            Assert.Equal(nfc, tokenizers.Qwen.Decode(tokenizers.Qwen.Encode(text)));
        }
    }
}
