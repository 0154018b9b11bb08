using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// Splits text as Qwen's pattern does, over code points:
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>,
/// or as Llama 3's does (the same with <c>\p{N}{1,3}</c>: digits in runs of up to three).
/// A hand-written scanner because .NET's Regex matches UTF-16 code units: its <c>\p{L}</c> never
/// matches a letter outside the BMP (𠮷, 𝐀), where Hugging Face's engines see whole code points.
/// <c>\s</c> is Unicode White_Space, as in Oniguruma and Rust's regex.
/// </summary>
internal sealed class SplitPreTokenizer : PreTokenizer
{
    /// <summary>Qwen's pattern as tokenizer.json and qwen.tiktoken's reference code spell it.</summary>
    public const string QwenPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Llama 3's pattern as its tokenizer.json spells it.</summary>
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static readonly SplitPreTokenizer Qwen = new(QwenPattern, maxDigits: 1);
    public static readonly SplitPreTokenizer Llama3 = new(Llama3Pattern, maxDigits: 3);

    /// <summary>The scanner for a tokenizer.json Split pattern, or null when it is not one of these.</summary>
    public static SplitPreTokenizer? ForPattern(string pattern) => pattern switch
    {
        QwenPattern => Qwen,
        Llama3Pattern => Llama3,
        _ => null,
    };

    readonly int _maxDigits;

    SplitPreTokenizer(string pattern, int maxDigits)
    {
        Pattern = pattern;
        _maxDigits = maxDigits;
    }

    public string Pattern { get; }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        string.IsNullOrEmpty(text) ? [] : Split(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) =>
        text.IsEmpty ? [] : Split(text);

    internal List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        var pieces = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            int end = MatchAt(text, i);
            pieces.Add((i, end - i));
            i = end;
        }
        return pieces;
    }

    enum Kind : byte { Letter, Number, Space, CrLf, Other }

    static Kind Classify(ReadOnlySpan<char> text, int at, out int width)
    {
        char c = text[at];
        if (c < 0x80)
        {
            width = 1;
            if (c is '\r' or '\n') return Kind.CrLf;
            if (c is ' ' or '\t' or '\v' or '\f') return Kind.Space;
            if (char.IsAsciiLetter(c)) return Kind.Letter;
            if (char.IsAsciiDigit(c)) return Kind.Number;
            return Kind.Other;
        }
        if (Rune.DecodeFromUtf16(text[at..], out var rune, out width) != System.Buffers.OperationStatus.Done)
        {
            width = 1; // a lone surrogate: neither letter, number nor space
            return Kind.Other;
        }
        if (IsWhiteSpace(rune.Value)) return Kind.Space;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Kind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Kind.Number,
            _ => Kind.Other,
        };
    }

    // Unicode White_Space outside ASCII (U+0085 NEL, no-break and typographic spaces, separators).
    static bool IsWhiteSpace(int cp) =>
        cp is 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    static bool IsWhite(Kind k) => k is Kind.Space or Kind.CrLf;

    internal int MatchAt(ReadOnlySpan<char> text, int i)
    {
        int contraction = MatchContraction(text, i);
        if (contraction > 0) return i + contraction;

        var first = Classify(text, i, out int w0);
        int next = i + w0;

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (first is not Kind.CrLf and not Kind.Number)
        {
            int lettersFrom = first == Kind.Letter ? i : next;
            int j = LetterRun(text, lettersFrom);
            if (j > lettersFrom)
                return j;
        }
        // \p{N} or \p{N}{1,3}
        if (first == Kind.Number)
        {
            for (int digits = 1; digits < _maxDigits && next < text.Length && Classify(text, next, out int w) == Kind.Number; digits++) next += w;
            return next;
        }

        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        int othersFrom = text[i] == ' ' ? next : i;
        int k = othersFrom;
        while (k < text.Length && Classify(text, k, out int w) == Kind.Other) k += w;
        if (k == othersFrom && othersFrom != i)
        {
            // the optional space was taken but no symbol follows: retry without it (it fails on a space)
            othersFrom = i;
            k = i;
        }
        if (k > othersFrom)
        {
            while (k < text.Length && text[k] is '\r' or '\n') k++;
            return k;
        }

        // The rest start with white space: find its maximal run.
        int runEnd = i, lastCrLf = -1;
        while (runEnd < text.Length)
        {
            var kind = Classify(text, runEnd, out int w);
            if (!IsWhite(kind)) break;
            if (kind == Kind.CrLf) lastCrLf = runEnd;
            runEnd += w;
        }
        // \s*[\r\n]+ : greedy white space, giving back until a line break ends the match.
        if (lastCrLf >= 0) return lastCrLf + 1;
        // \s+(?!\S) : the whole run at the end of the text; otherwise all but its last character.
        if (runEnd == text.Length) return runEnd;
        int lastStart = PreviousStart(text, runEnd);
        if (lastStart > i) return lastStart;
        // \s+
        return runEnd;
    }

    static int LetterRun(ReadOnlySpan<char> text, int from)
    {
        int j = from;
        while (j < text.Length && Classify(text, j, out int w) == Kind.Letter) j += w;
        return j;
    }

    static int PreviousStart(ReadOnlySpan<char> text, int end) =>
        end >= 2 && char.IsLowSurrogate(text[end - 1]) && char.IsHighSurrogate(text[end - 2]) ? end - 2 : end - 1;

    // (?i:'s|'t|'re|'ve|'m|'ll|'d); ſ (U+017F) folds to s and K (U+212A) to k under Unicode case folding.
    static int MatchContraction(ReadOnlySpan<char> text, int i)
    {
        if (text[i] != '\'' || i + 1 >= text.Length) return 0;
        char a = char.ToLowerInvariant(text[i + 1]);
        if (a is 's' or 't' or 'm' or 'd' or '\u017F') return 2;
        if (i + 2 >= text.Length) return 0;
        char b = char.ToLowerInvariant(text[i + 2]);
        return (a, b) switch
        {
            ('r', 'e') or ('v', 'e') or ('l', 'l') => 3,
            _ => 0,
        };
    }
}
