namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// Splits text at special-token strings, leftmost-longest, as Hugging Face's added-vocabulary
/// matcher does. Matching here (not inside Microsoft.ML.Tokenizers) keeps special tokens exact
/// whatever the text: the library's Tiktoken keeps them only in an LRU cache and, after enough
/// distinct words, encodes them as plain text.
/// </summary>
internal sealed class SpecialTokenSplitter
{
    readonly Dictionary<string, int> _ids;
    readonly Dictionary<char, string[]> _byFirstChar;

    public SpecialTokenSplitter(IReadOnlyDictionary<string, int> tokens)
    {
        _ids = new Dictionary<string, int>(tokens, StringComparer.Ordinal);
        _byFirstChar = tokens.Keys.Where(k => k.Length > 0).GroupBy(k => k[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(k => k.Length).ToArray());
    }

    public IReadOnlyDictionary<string, int> Tokens => _ids;

    /// <summary>Segments of <paramref name="text"/>: plain text (Id null) and special tokens (with their id), in order.</summary>
    public List<(int Start, int Length, int? Id)> Split(string text)
    {
        var segments = new List<(int, int, int?)>();
        int plainStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (!_byFirstChar.TryGetValue(text[i], out var candidates)) continue;
            foreach (var token in candidates)
            {
                if (string.CompareOrdinal(text, i, token, 0, token.Length) != 0) continue;
                if (i > plainStart) segments.Add((plainStart, i - plainStart, null));
                segments.Add((i, token.Length, _ids[token]));
                i += token.Length - 1;
                plainStart = i + 1;
                break;
            }
        }
        if (plainStart < text.Length) segments.Add((plainStart, text.Length - plainStart, null));
        return segments;
    }
}
