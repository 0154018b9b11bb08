namespace Vlm.Transforms.Evaluation;

/// <summary>A sentence's n-grams of lengths 1..n with their counts, in pycocoevalcap's order (by length, then position).</summary>
internal static class Ngrams
{
    public static Dictionary<string, int> Count(string[] words, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 1; k <= n; k++)
            for (int i = 0; i + k <= words.Length; i++)
            {
                // A separator no token holds, so ("a b", "c") and ("a", "b c") differ.
                string key = k + "\u0001" + string.Join('\u0001', words, i, k);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        return counts;
    }

    public static int Order(string key) => int.Parse(key.AsSpan(0, key.IndexOf('\u0001')));

    /// <summary>Python's <c>str.split()</c>: runs of whitespace separate, none at the ends.</summary>
    public static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
