using System.Text;

namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// Unicode normalization that never throws: <see cref="string.Normalize(NormalizationForm)"/> throws
/// on lone surrogates and U+FFFE/U+FFFF, which Hugging Face passes through unchanged. Runs between
/// such characters are normalized; the characters themselves are kept.
/// </summary>
internal static class UnicodeNormalizer
{
    public static string Normalize(string text, NormalizationForm form)
    {
        if (text.Length == 0) return text;
        if (!NeedsCare(text)) return text.IsNormalized(form) ? text : text.Normalize(form);
        var result = new StringBuilder(text.Length);
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int width = ValidWidth(text, i);
            if (width > 0)
            {
                i += width - 1;
                continue;
            }
            result.Append(text.AsSpan(start, i - start).ToString().Normalize(form)).Append(text[i]);
            start = i + 1;
        }
        result.Append(text[start..].Normalize(form));
        return result.ToString();
    }

    /// <summary>
    /// Replaces unpaired surrogates with U+FFFD, as every UTF-8 encoder does; the byte-level BPE
    /// would otherwise see surrogate bytes that are not UTF-8 at all. (Hugging Face's Python API
    /// refuses such strings outright.)
    /// </summary>
    public static string ReplaceLoneSurrogates(string text)
    {
        int i = 0;
        for (; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            break;
        }
        if (i == text.Length) return text;
        var chars = text.ToCharArray();
        for (; i < chars.Length; i++)
        {
            if (!char.IsSurrogate(chars[i])) continue;
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
            chars[i] = '�';
        }
        return new string(chars);
    }

    /// <summary>Throws when normalization would silently do nothing (invariant globalization, no ICU).</summary>
    public static void EnsureAvailable()
    {
        if ("e\u0301".Normalize(NormalizationForm.FormC) != "\u00e9")
            throw new InvalidOperationException(
                "Unicode normalization is not available in this process (invariant globalization or no ICU library); install libicu.");
    }

    static bool NeedsCare(string text)
    {
        foreach (char c in text)
            if (char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF') return true;
        return false;
    }

    // Width of the valid character at i (1 or 2), or 0 when it is one that Normalize rejects.
    static int ValidWidth(string text, int i)
    {
        char c = text[i];
        if (c is '\uFFFE' or '\uFFFF') return 0;
        if (char.IsHighSurrogate(c)) return i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 0;
        if (char.IsLowSurrogate(c)) return 0;
        return 1;
    }
}
