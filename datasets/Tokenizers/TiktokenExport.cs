using System.Text.Json;

namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// Derives a Qwen-7B <c>qwen.tiktoken</c> from a Qwen2 <c>tokenizer.json</c>: the two hold the same
/// byte-level ranks, spelled as GPT-2 characters in one and as base64 bytes in the other.
/// </summary>
public static class TiktokenExport
{
    /// <summary>Writes <c>qwen.tiktoken</c> into <paramref name="outputFolder"/>; returns its path.</summary>
    public static string FromTokenizerJson(string tokenizerFolder, string outputFolder)
    {
        string source = Path.Combine(tokenizerFolder, TokenizerFolder.TokenizerJson);
        if (!File.Exists(source)) throw new TokenizerFormatException(tokenizerFolder, $"no {TokenizerFolder.TokenizerJson} to export from");
        var ranks = new List<(byte[], int)>();
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(source)))
        {
            foreach (var entry in doc.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject())
            {
                var bytes = ByteLevelAlphabet.ToBytes(entry.Name)
                    ?? throw new TokenizerFormatException(source, $"vocabulary entry '{entry.Name}' is not a byte-level token");
                ranks.Add((bytes, entry.Value.GetInt32()));
            }
        }
        Directory.CreateDirectory(outputFolder);
        string target = Path.Combine(outputFolder, TiktokenFile.FileName);
        TiktokenFile.Write(target, ranks);
        return target;
    }
}
