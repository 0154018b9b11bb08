using System.Text.Json;
using Vlm.Datasets.Tokenizers;

namespace Vlm.Tests.Datasets.Tokenizers;

/// <summary>Reference ids (<c>{"text", "ids"}</c> lines computed by Hugging Face's Rust tokenizers) and the check that a tokenizer gives them all.</summary>
internal static class TokenizerParity
{
    public static List<(string Text, int[] Ids)> Expected(string file) =>
        File.ReadLines(TokenizerFixture.DataFile(file)).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return (doc.RootElement.GetProperty("text").GetString()!,
                doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        }).ToList();

    /// <summary>Every line of <paramref name="file"/> (at least <paramref name="atLeast"/>) encodes to its ids; a failure shows the first ten that differ.</summary>
    public static void AssertAllMatch(ITextTokenizer tokenizer, string file, int atLeast)
    {
        var cases = Expected(file);
        Assert.True(cases.Count >= atLeast, $"the corpus has {cases.Count} lines, fewer than {atLeast}");
        var mismatches = cases
            .Select(c => (c.Text, c.Ids, Actual: tokenizer.Encode(c.Text).ToArray()))
            .Where(c => !c.Ids.SequenceEqual(c.Actual))
            .Select(c => $"{JsonSerializer.Serialize(c.Text)}\n  expected [{string.Join(",", c.Ids)}]\n  actual   [{string.Join(",", c.Actual)}]")
            .ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {cases.Count} lines differ:\n" + string.Join("\n", mismatches.Take(10)));
    }
}
