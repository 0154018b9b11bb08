using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Vlm.Datasets.Tokenizers;

/// <summary>Reads a tokenizer folder as Hugging Face users download it.</summary>
internal static class TokenizerFolder
{
    public const string TokenizerJson = "tokenizer.json";
    public const string TokenizerConfigJson = "tokenizer_config.json";

    public static ITextTokenizer Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new TokenizerFormatException(folder, "no such tokenizer folder");
        string tiktoken = Path.Combine(folder, TiktokenFile.FileName);
        string json = Path.Combine(folder, TokenizerJson);
        if (File.Exists(tiktoken)) return LoadTiktoken(tiktoken);
        if (File.Exists(json)) return LoadTokenizerJson(json, Path.Combine(folder, TokenizerConfigJson));
        throw new TokenizerFormatException(folder, $"no {TiktokenFile.FileName} (Qwen-7B) and no {TokenizerJson} (Qwen2) in the folder");
    }

    static QwenTokenizer LoadTiktoken(string path)
    {
        byte[] content = File.ReadAllBytes(path);
        int count = TiktokenFile.CountRanks(path, content);
        var specials = QwenSpecialTokens.ForQwen7B(count);
        TiktokenTokenizer tiktoken;
        try
        {
            tiktoken = TiktokenTokenizer.Create(new MemoryStream(content), SplitPreTokenizer.Qwen, normalizer: null, specialTokens: null);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            // What the line checks above let through and the library still refuses.
            throw new TokenizerFormatException(path, $"not a valid qwen.tiktoken ({e.Message})");
        }
        // Qwen-7B's tokenizer NFC-normalizes the whole text, then lets tiktoken find special tokens.
        return new QwenTokenizer(tiktoken, specials, count, NormalizationForm.FormC, normalizeBeforeSpecials: true,
            Hash(content), "qwen", SplitPreTokenizer.Qwen);
    }

    static ITextTokenizer LoadTokenizerJson(string path, string configPath)
    {
        byte[] content = File.ReadAllBytes(path);
        byte[] config = File.Exists(configPath) ? File.ReadAllBytes(configPath) : [];
        try
        {
            using var doc = JsonDocument.Parse(content);
            var root = doc.RootElement;
            var model = Required(root, "model", path);
            if (model.GetProperty("type").GetString() != "BPE")
                throw new TokenizerFormatException(path, $"model type '{model.GetProperty("type").GetString()}' is not supported (only byte-level BPE)");
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            var ids = new HashSet<int>();
            foreach (var entry in Required(model, "vocab", path).EnumerateObject())
            {
                int id = entry.Value.GetInt32();
                if (id < 0 || !ids.Add(id)) throw new TokenizerFormatException(path, $"vocabulary id {id} of '{entry.Name}' is negative or given twice");
                vocab[entry.Name] = id;
            }
            var merges = new List<string>();
            foreach (var merge in Required(model, "merges", path).EnumerateArray())
                merges.Add(merge.ValueKind switch
                {
                    JsonValueKind.Array when merge.GetArrayLength() == 2 && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String
                        => $"{merge[0].GetString()} {merge[1].GetString()}",
                    JsonValueKind.String => merge.GetString()!,
                    _ => throw new TokenizerFormatException(path, $"merge {merges.Count} is neither \"a b\" nor [\"a\", \"b\"]"),
                });

            var specials = ReadAddedTokens(root, path);
            if (config.Length > 0) AddConfigTokens(config, configPath, specials);
            var specialIds = new HashSet<int>();
            foreach (var (token, id) in specials)
            {
                if (vocab.TryGetValue(token, out int existing) && existing != id)
                    throw new TokenizerFormatException(path, $"added token '{token}' has id {id} but the vocabulary gives it {existing}");
                if (id < 0 || !specialIds.Add(id) || (ids.Contains(id) && !vocab.ContainsKey(token)))
                    throw new TokenizerFormatException(path, $"added token '{token}' has id {id}, which is negative or another token's");
            }

            if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
            {
                MetaspaceBpeTokenizer.CheckPipeline(root, path);
                return new MetaspaceBpeTokenizer(vocab, merges, specials, Hash(content, config), path);
            }
            var preTokenizer = ReadPreTokenizer(root, path);
            bool ignoreMerges = model.TryGetProperty("ignore_merges", out var ignore) && ignore.ValueKind == JsonValueKind.True;
            var normalization = ReadNormalizer(root, path);
            var bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = true,
                PreTokenizer = preTokenizer,
            });
            int ordinary = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
            return new QwenTokenizer(bpe, specials, ordinary, normalization, normalizeBeforeSpecials: false,
                Hash(content, config), preTokenizer == SplitPreTokenizer.Llama3 ? "llama3" : "qwen2", preTokenizer, ignoreMerges ? vocab : null);
        }
        // The BPE library's own refusals of what the checks above let through (a merge of unknown tokens) come as ArgumentException.
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException and not TokenizerFormatException)
        {
            throw new TokenizerFormatException(path, $"not a valid tokenizer.json ({e.Message})");
        }
    }

    static JsonElement Required(JsonElement parent, string name, string path) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw new TokenizerFormatException(path, $"missing \"{name}\"");

    // Only Qwen's or Llama 3's split pattern followed by a byte-level step that does no splitting of
    // its own is supported: anything else would silently give other ids than Hugging Face.
    static SplitPreTokenizer ReadPreTokenizer(JsonElement root, string path)
    {
        var pre = Required(root, "pre_tokenizer", path);
        var scanner = pre.GetProperty("type").GetString() == "Sequence"
            && pre.GetProperty("pretokenizers") is { ValueKind: JsonValueKind.Array } steps
            && steps.GetArrayLength() == 2
            && steps[0].GetProperty("type").GetString() == "Split"
            && steps[0].GetProperty("pattern").TryGetProperty("Regex", out var regex)
            && steps[0].GetProperty("behavior").GetString() == "Isolated"
            && !steps[0].GetProperty("invert").GetBoolean()
            && steps[1].GetProperty("type").GetString() == "ByteLevel"
            && !steps[1].GetProperty("use_regex").GetBoolean()
            && !steps[1].GetProperty("add_prefix_space").GetBoolean()
            ? SplitPreTokenizer.ForPattern(regex.GetString() ?? "") : null;
        return scanner ?? throw new TokenizerFormatException(path, "pre_tokenizer is not Qwen's or Llama 3's (Split on their pattern, then ByteLevel without regex)");
    }

    static NormalizationForm? ReadNormalizer(JsonElement root, string path)
    {
        if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind == JsonValueKind.Null) return null;
        if (normalizer.GetProperty("type").GetString() == "Sequence")
        {
            var steps = normalizer.GetProperty("normalizers");
            if (steps.GetArrayLength() == 0) return null;
            if (steps.GetArrayLength() > 1) throw new TokenizerFormatException(path, "a normalizer sequence of more than one step is not supported");
            normalizer = steps[0];
        }
        return normalizer.GetProperty("type").GetString() switch
        {
            "NFC" => NormalizationForm.FormC,
            "NFD" => NormalizationForm.FormD,
            "NFKC" => NormalizationForm.FormKC,
            "NFKD" => NormalizationForm.FormKD,
            var other => throw new TokenizerFormatException(path, $"normalizer '{other}' is not supported"),
        };
    }

    static Dictionary<string, int> ReadAddedTokens(JsonElement root, string path)
    {
        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!root.TryGetProperty("added_tokens", out var added) || added.ValueKind == JsonValueKind.Null) return tokens;
        foreach (var token in added.EnumerateArray())
        {
            string content = token.GetProperty("content").GetString() ?? "";
            CheckFlags(token, content, path);
            if (content.Length == 0) throw new TokenizerFormatException(path, "an added token is empty");
            if (tokens.TryGetValue(content, out int previous) && previous != token.GetProperty("id").GetInt32())
                throw new TokenizerFormatException(path, $"added token '{content}' appears twice with different ids");
            tokens[content] = token.GetProperty("id").GetInt32();
        }
        return tokens;
    }

    // tokenizer_config.json may name further added tokens (added_tokens_decoder); Hugging Face adds them.
    static void AddConfigTokens(byte[] config, string path, Dictionary<string, int> tokens)
    {
        try
        {
            using var doc = JsonDocument.Parse(config);
            if (!doc.RootElement.TryGetProperty("added_tokens_decoder", out var decoder)) return;
            foreach (var entry in decoder.EnumerateObject())
            {
                int id = int.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture);
                string content = entry.Value.GetProperty("content").GetString() ?? "";
                CheckFlags(entry.Value, content, path);
                if (tokens.TryGetValue(content, out int known) && known != id)
                    throw new TokenizerFormatException(path, $"added token '{content}' has id {id} here but {known} in tokenizer.json");
                tokens[content] = id;
            }
        }
        // The BPE library's own refusals of what the checks above let through (a merge of unknown tokens) come as ArgumentException.
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException and not TokenizerFormatException)
        {
            throw new TokenizerFormatException(path, $"not a valid tokenizer_config.json ({e.Message})");
        }
    }

    static void CheckFlags(JsonElement token, string content, string path)
    {
        foreach (var flag in new[] { "lstrip", "rstrip", "single_word", "normalized" })
            if (token.TryGetProperty(flag, out var value) && value.ValueKind == JsonValueKind.True)
                throw new TokenizerFormatException(path, $"added token '{content}' sets {flag}, which is not supported");
    }

    static string Hash(params byte[][] parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts) sha.AppendData(part);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
