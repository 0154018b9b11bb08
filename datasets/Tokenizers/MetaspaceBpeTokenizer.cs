using System.Text;
using System.Text.Json;

namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// The SentencePiece-style BPE of Llama 2, Vicuna and Mistral/Mixtral as their <c>tokenizer.json</c>
/// has it, with exact Hugging Face ids: special tokens split off first; each piece between them
/// normalized (<c>▁</c> prepended, spaces replaced by <c>▁</c>) and merged whole, without
/// pre-tokenization, lowest merge rank first (leftmost among equals); a character the vocabulary
/// lacks becomes its UTF-8 bytes as <c>&lt;0xXX&gt;</c> tokens (<c>byte_fallback</c>).
/// </summary>
public sealed class MetaspaceBpeTokenizer : ITextTokenizer, IContinuingTokenizer
{
    const char Metaspace = '\u2581';

    readonly Dictionary<string, int> _vocab;
    readonly string[] _tokenById;
    readonly Dictionary<(int Left, int Right), (int Rank, int Merged)> _merges;
    readonly int[] _byteIds = new int[256];
    readonly Dictionary<int, byte> _byteOfId = [];
    readonly SpecialTokenSplitter _specials;
    readonly Dictionary<int, string> _specialById;
    readonly int _unknown;

    internal MetaspaceBpeTokenizer(Dictionary<string, int> vocab, IReadOnlyList<string> merges, IReadOnlyDictionary<string, int> specialTokens, string fingerprint, string path)
    {
        _vocab = vocab;
        OrdinaryTokenCount = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
        VocabularySize = Math.Max(OrdinaryTokenCount, specialTokens.Count == 0 ? 0 : specialTokens.Values.Max() + 1);
        _tokenById = new string[OrdinaryTokenCount];
        foreach (var (token, id) in vocab) _tokenById[id] = token;
        for (int b = 0; b < 256; b++)
        {
            _byteIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
            if (_byteIds[b] >= 0) _byteOfId[_byteIds[b]] = (byte)b;
        }
        _unknown = vocab.TryGetValue("<unk>", out int unk) ? unk : -1;
        _merges = new(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            int space = merges[rank].IndexOf(' ');
            string left = space > 0 ? merges[rank][..space] : throw new TokenizerFormatException(path, $"merge {rank} '{merges[rank]}' is not \"a b\"");
            string right = merges[rank][(space + 1)..];
            if (!vocab.TryGetValue(left, out int l) || !vocab.TryGetValue(right, out int r) || !vocab.TryGetValue(left + right, out int merged))
                throw new TokenizerFormatException(path, $"merge {rank} '{merges[rank]}' names a token the vocabulary lacks");
            _merges.TryAdd((l, r), (rank, merged));
        }
        _specials = new SpecialTokenSplitter(specialTokens);
        _specialById = specialTokens.ToDictionary(p => p.Value, p => p.Key);
        Fingerprint = fingerprint;
    }

    public string Kind => "llama2";
    public int OrdinaryTokenCount { get; }
    public int VocabularySize { get; }
    public string Fingerprint { get; }

    public int? SpecialTokenId(string token) => _specials.Tokens.TryGetValue(token, out int id) ? id : null;

    /// <summary>Refuses a <c>tokenizer.json</c> whose normalizer, pre-tokenizer or decoder is not the Llama 2 pipeline this class implements.</summary>
    internal static void CheckPipeline(JsonElement root, string path)
    {
        string Json(string name) => root.TryGetProperty(name, out var v) ? v.GetRawText() : "null";
        static string Compact(string json) => JsonSerializer.Serialize(JsonSerializer.Deserialize<JsonElement>(json));
        const string normalizer = """{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"\u2581"},{"type":"Replace","pattern":{"String":" "},"content":"\u2581"}]}""";
        if (Compact(Json("normalizer")) != Compact(normalizer))
            throw new TokenizerFormatException(path, "a byte_fallback BPE is supported with Llama 2's normalizer only (prepend \u2581, spaces to \u2581)");
        if (Json("pre_tokenizer") != "null")
            throw new TokenizerFormatException(path, "a byte_fallback BPE is supported without a pre_tokenizer only (Llama 2's)");
    }

    public IReadOnlyList<int> Encode(string text) => Encode(text, parseSpecialTokens: true);

    public IReadOnlyList<int> Encode(string text, bool parseSpecialTokens, int maxTokens = int.MaxValue) =>
        Encode(text, parseSpecialTokens, maxTokens, continues: false);

    public IReadOnlyList<int> EncodeContinuation(string text, bool parseSpecialTokens, int maxTokens = int.MaxValue) =>
        Encode(text, parseSpecialTokens, maxTokens, continues: true);

    public IReadOnlyList<(int Start, int Length, int? Id)> SplitSpecialTokens(string text) => _specials.Split(text);

    IReadOnlyList<int> Encode(string text, bool parseSpecialTokens, int maxTokens, bool continues)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        text = UnicodeNormalizer.ReplaceLoneSurrogates(text);
        var ids = new List<int>();
        var parts = parseSpecialTokens ? _specials.Split(text) : [(0, text.Length, (int?)null)];
        foreach (var (start, length, id) in parts)
        {
            if (ids.Count > maxTokens) break;
            if (id is { } special) ids.Add(special);
            else if (length > 0) Merge((continues && start == 0 ? "" : Metaspace.ToString()) + text.Substring(start, length).Replace(' ', Metaspace), ids);
        }
        return ids;
    }

    /// <summary>A normalized piece's tokens: characters (or their bytes), then merges by rank.</summary>
    void Merge(string word, List<int> ids)
    {
        var symbols = new List<int>(word.Length);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in word.EnumerateRunes())
        {
            if (_vocab.TryGetValue(rune.ToString(), out int id))
            {
                symbols.Add(id);
                continue;
            }
            int count = rune.EncodeToUtf8(bytes);
            bool all = true;
            for (int i = 0; i < count; i++) all &= _byteIds[bytes[i]] >= 0;
            if (all)
                for (int i = 0; i < count; i++) symbols.Add(_byteIds[bytes[i]]);
            else if (symbols.Count == 0 || symbols[^1] != _unknown) // fuse_unk: a run of unknowns is one token
                symbols.Add(_unknown >= 0 ? _unknown : throw new ArgumentException($"'{rune}' is not in the vocabulary and has no byte tokens or <unk>"));
        }

        // Symbols as a linked list; candidate merges in a heap by (rank, position), checked when taken.
        int n = symbols.Count;
        var next = new int[n];
        var previous = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++) (next[i], previous[i], alive[i]) = (i + 1 < n ? i + 1 : -1, i - 1, true);
        var queue = new PriorityQueue<(int Position, int Merged), (int Rank, int Position)>();
        void Consider(int at)
        {
            if (at >= 0 && next[at] >= 0 && _merges.TryGetValue((symbols[at], symbols[next[at]]), out var merge))
                queue.Enqueue((at, merge.Merged), (merge.Rank, at));
        }
        for (int i = 0; i + 1 < n; i++) Consider(i);
        while (queue.TryDequeue(out var candidate, out _))
        {
            int at = candidate.Position, right = next[at];
            if (!alive[at] || right < 0 || !_merges.TryGetValue((symbols[at], symbols[right]), out var merge) || merge.Merged != candidate.Merged) continue;
            symbols[at] = merge.Merged;
            alive[right] = false;
            next[at] = next[right];
            if (next[right] >= 0) previous[next[right]] = at;
            Consider(previous[at]);
            Consider(at);
        }
        for (int i = 0; i < n; i++)
            if (alive[i]) ids.Add(symbols[i]);
    }

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Hugging Face's Llama 2 decoder: <c>▁</c> back to spaces, byte tokens to UTF-8 (U+FFFD per byte of an invalid run), one leading space stripped.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (_byteOfId.TryGetValue(id, out byte b))
            {
                bytes.Add(b);
                continue;
            }
            Flush();
            if (_specialById.TryGetValue(id, out var special)) text.Append(special);
            else if (id >= 0 && id < _tokenById.Length && _tokenById[id] is { } token) text.Append(token.Replace(Metaspace, ' '));
            else throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id {id} is outside this tokenizer's vocabulary of {VocabularySize}");
        }
        Flush();
        return text.Length > 0 && text[0] == ' ' ? text.ToString(1, text.Length - 1) : text.ToString();

        void Flush()
        {
            if (bytes.Count == 0) return;
            try
            {
                text.Append(StrictUtf8.GetString(bytes.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                text.Append('\uFFFD', bytes.Count);
            }
            bytes.Clear();
        }
    }
}
