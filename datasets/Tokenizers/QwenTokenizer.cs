using System.Text;
using Microsoft.ML.Tokenizers;

namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// Byte-level BPE with exact Hugging Face ids: Qwen-7B's <c>qwen.tiktoken</c>, the Qwen2 family's and
/// Llama 3's <c>tokenizer.json</c>. Microsoft.ML.Tokenizers does the byte-pair merging; this class
/// owns what must match Hugging Face around it: special tokens split off first, normalization in
/// the right place, a code-point pre-tokenizer (<see cref="SplitPreTokenizer"/>) and, for Llama 3
/// (<c>ignore_merges</c>), a pre-token found whole in the vocabulary taken as it is.
/// </summary>
public sealed class QwenTokenizer : ITextTokenizer
{
    readonly Tokenizer _bpe;
    readonly SpecialTokenSplitter _specials;
    readonly Dictionary<int, string> _specialById;
    readonly NormalizationForm? _normalization;
    readonly bool _normalizeBeforeSpecials;
    readonly SplitPreTokenizer _preTokenizer;
    readonly IReadOnlyDictionary<string, int>? _wholeWords;

    /// <param name="wholeWords">With <c>ignore_merges</c>, the vocabulary: a pre-token in it is one token, whatever the merges would make.</param>
    internal QwenTokenizer(Tokenizer bpe, IReadOnlyDictionary<string, int> specialTokens, int ordinaryCount,
        NormalizationForm? normalization, bool normalizeBeforeSpecials, string fingerprint, string kind,
        SplitPreTokenizer preTokenizer, IReadOnlyDictionary<string, int>? wholeWords = null)
    {
        _preTokenizer = preTokenizer;
        _wholeWords = wholeWords;
        if (normalization is not null) UnicodeNormalizer.EnsureAvailable();
        _bpe = bpe;
        _specials = new SpecialTokenSplitter(specialTokens);
        _specialById = specialTokens.ToDictionary(p => p.Value, p => p.Key);
        _normalization = normalization;
        _normalizeBeforeSpecials = normalizeBeforeSpecials;
        OrdinaryTokenCount = ordinaryCount;
        VocabularySize = Math.Max(ordinaryCount, specialTokens.Count == 0 ? 0 : specialTokens.Values.Max() + 1);
        Fingerprint = fingerprint;
        Kind = kind;
    }

    /// <summary>"qwen" (a Qwen-7B qwen.tiktoken folder), "qwen2" or "llama3" (a tokenizer.json folder).</summary>
    public string Kind { get; }
    public int OrdinaryTokenCount { get; }
    public int VocabularySize { get; }
    public string Fingerprint { get; }
    public IReadOnlyDictionary<string, int> SpecialTokens => _specials.Tokens;

    /// <summary>
    /// Loads a byte-level tokenizer folder: <c>qwen.tiktoken</c> (Qwen-7B) or <c>tokenizer.json</c> (Qwen2 family, Llama 3).
    /// </summary>
    public static QwenTokenizer Load(string folder) => TokenizerFolder.Load(folder) as QwenTokenizer
        ?? throw new TokenizerFormatException(folder, "not a byte-level BPE tokenizer (Qwen or Llama 3)");

    public int? SpecialTokenId(string token) => _specials.Tokens.TryGetValue(token, out int id) ? id : null;

    public IReadOnlyList<int> Encode(string text) => Encode(text, parseSpecialTokens: true);

    public IReadOnlyList<int> Encode(string text, bool parseSpecialTokens, int maxTokens = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        var ids = new List<int>(Math.Min(text.Length, maxTokens) / 3 + 4);
        text = UnicodeNormalizer.ReplaceLoneSurrogates(text);
        // Qwen-7B's tokenizer normalizes the whole text before finding special tokens; Hugging Face's
        // tokenizer.json pipeline finds them in the raw text and normalizes the pieces between them.
        if (_normalizeBeforeSpecials && _normalization is { } whole) text = UnicodeNormalizer.Normalize(text, whole);
        var parts = parseSpecialTokens ? _specials.Split(text) : [(0, text.Length, (int?)null)];
        foreach (var (start, length, id) in parts)
        {
            if (ids.Count > maxTokens) break;
            if (id is { } special)
            {
                ids.Add(special);
                continue;
            }
            string piece = text.Substring(start, length);
            if (!_normalizeBeforeSpecials && _normalization is { } form) piece = UnicodeNormalizer.Normalize(piece, form);
            if (_wholeWords is null && (maxTokens == int.MaxValue || piece.Length <= LongText)) ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: true, considerNormalization: false));
            else EncodeUntil(piece, ids, maxTokens);
        }
        return ids;
    }

    /// <summary>Past this many characters, a limited encode goes one pre-token at a time so that it can stop early.</summary>
    const int LongText = 1 << 14;

    /// <summary>
    /// The text's ids pre-token by pre-token (the pieces the whole-text encode would make, each merged
    /// on its own, as the whole-text encode does), until more than <paramref name="maxTokens"/> are made.
    /// </summary>
    void EncodeUntil(string text, List<int> ids, int maxTokens)
    {
        var span = text.AsSpan();
        for (int at = 0; at < span.Length && ids.Count <= maxTokens;)
        {
            int end = _preTokenizer.MatchAt(span, at);
            if (_wholeWords is not null && _wholeWords.TryGetValue(ByteLevelAlphabet.FromBytes(Encoding.UTF8.GetBytes(span[at..end].ToArray())), out int whole))
                ids.Add(whole);
            else
                ids.AddRange(_bpe.EncodeToIds(span[at..end], considerPreTokenization: false, considerNormalization: false));
            at = end;
        }
    }

    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var run = new List<int>();
        foreach (int id in ids)
        {
            if (_specialById.TryGetValue(id, out var special))
            {
                Flush();
                text.Append(special);
            }
            else if (id < 0 || id >= OrdinaryTokenCount)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id {id} is outside this tokenizer's vocabulary of {VocabularySize}");
            }
            else
            {
                run.Add(id);
            }
        }
        Flush();
        return text.ToString();

        void Flush()
        {
            if (run.Count == 0) return;
            text.Append(_bpe.Decode(run));
            run.Clear();
        }
    }
}
