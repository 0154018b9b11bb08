using System.Globalization;
using System.Text;

namespace Vlm.Transforms.Evaluation;

/// <summary>How captions become the space-joined tokens the caption metrics count.</summary>
public enum CaptionTokenization
{
    /// <summary>
    /// The COCO caption evaluation's handling without its Java tokenizer: lower-case; a word's English
    /// clitics split off as Stanford's PTB tokenizer splits them (<c>n't</c>, <c>'s</c>, <c>'re</c>,
    /// <c>'ve</c>, <c>'ll</c>, <c>'d</c>, <c>'m</c>); every other punctuation character its own token;
    /// then the tokens pycocoevalcap drops removed (<c>. , ? ! : ; - -- ...</c>, quotes and brackets).
    /// Only punctuation at a word's edges is split off: hyphens, apostrophes, periods and commas inside a
    /// word ("t-shirt", "3.5", "1,000") stay in it.
    /// </summary>
    Words,

    /// <summary>One token per character (Chinese captions have no spaces), punctuation and spaces dropped, ASCII letters lower-cased.</summary>
    Chars,
}

/// <summary>Tokenizes captions for <see cref="CaptionMetrics"/> (see <see cref="CaptionTokenization"/>).</summary>
public static class CaptionTokenizer
{
    // pycocoevalcap's PUNCTUATIONS, as the characters and runs they come from (-LRB- etc. are brackets).
    static readonly HashSet<string> Dropped = ["''", "'", "``", "`", "\"", "(", ")", "[", "]", "{", "}", ".", "?", "!", ",", ":", "-", "--", "...", ";"];
    static readonly string[] Clitics = ["n't", "'s", "'re", "'ve", "'ll", "'d", "'m"];

    public static string Tokenize(string text, CaptionTokenization tokenization) =>
        string.Join(' ', tokenization == CaptionTokenization.Chars ? Characters(text) : Words(text));

    static IEnumerable<string> Characters(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune) || Rune.IsPunctuation(rune) || Rune.IsSymbol(rune) && rune.Value < 0x80) continue;
            yield return Rune.IsLetter(rune) && rune.Value < 0x80 ? Rune.ToLowerInvariant(rune).ToString() : rune.ToString();
        }
    }

    static IEnumerable<string> Words(string text)
    {
        foreach (var word in text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            foreach (var token in Split(word))
                if (!Dropped.Contains(token)) yield return token;
    }

    /// <summary>One whitespace-free word into tokens: punctuation at its edges split off, then a clitic.</summary>
    static IEnumerable<string> Split(string word)
    {
        int start = 0, end = word.Length;
        var leading = new List<string>();
        var trailing = new List<string>();
        while (start < end && IsEdgePunctuation(word, start, end, leading: true)) leading.Add(EdgeToken(word, ref start, forward: true));
        while (end > start && IsEdgePunctuation(word, start, end, leading: false)) trailing.Insert(0, EdgeToken(word, ref end, forward: false));
        string core = word[start..end];
        foreach (var t in leading) yield return t;
        if (core.Length > 0)
        {
            string? clitic = Clitics.FirstOrDefault(c => core.Length > c.Length && core.EndsWith(c, StringComparison.Ordinal));
            if (clitic is null) yield return core;
            else
            {
                yield return core[..^clitic.Length];
                yield return clitic;
            }
        }
        foreach (var t in trailing) yield return t;
    }

    static bool IsPunctuation(char c) => char.IsPunctuation(c) || char.IsSymbol(c);

    static bool IsEdgePunctuation(string word, int start, int end, bool leading) => IsPunctuation(leading ? word[start] : word[end - 1]);

    /// <summary>The punctuation token at one edge: "..." and "--" as one token, any other character alone.</summary>
    static string EdgeToken(string word, ref int at, bool forward)
    {
        foreach (var run in new[] { "...", "--", "''", "``" })
        {
            if (forward && string.CompareOrdinal(word, at, run, 0, run.Length) == 0) { at += run.Length; return run; }
            if (!forward && at >= run.Length && string.CompareOrdinal(word, at - run.Length, run, 0, run.Length) == 0) { at -= run.Length; return run; }
        }
        if (forward) return word[at++].ToString(CultureInfo.InvariantCulture);
        return word[--at].ToString(CultureInfo.InvariantCulture);
    }
}
