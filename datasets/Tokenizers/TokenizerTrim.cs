using System.Text.Json;
using System.Text.Json.Nodes;
using Vlm.Datasets.IO;

namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// A byte-level BPE tokenizer folder (<c>tokenizer.json</c>) cut down to what a corpus uses: the 256
/// byte symbols, every token the full tokenizer makes from the corpus together with the tokens its
/// merges are built from, those merges in their original order, and all added tokens; ids renumbered
/// densely in their original order. The corpus encodes to the same token strings as before (BPE
/// applies the best-ranked applicable merge, and each one applied on the corpus is kept), and any
/// other text still encodes, in smaller pieces. A tiny model over such a vocabulary learns in minutes
/// what it would spend hours on with an output head over 151,936 tokens it never sees.
/// </summary>
public static class TokenizerTrim
{
    /// <summary>
    /// Writes the trimmed <c>tokenizer.json</c> and <c>tokenizer_config.json</c> of <paramref name="sourceFolder"/>
    /// into <paramref name="outputFolder"/>; returns the new vocabulary size (ordinary plus added tokens).
    /// </summary>
    public static int Write(string sourceFolder, IEnumerable<string> corpus, string outputFolder)
    {
        var tokenizer = QwenTokenizer.Load(sourceFolder);
        string jsonPath = Path.Combine(sourceFolder, TokenizerFolder.TokenizerJson);
        if (tokenizer.Kind != "qwen2") throw new TokenizerFormatException(sourceFolder, $"only a {TokenizerFolder.TokenizerJson} tokenizer can be trimmed");
        var root = JsonNode.Parse(File.ReadAllBytes(jsonPath))!.AsObject();
        var model = root["model"]!.AsObject();
        var vocab = model["vocab"]!.AsObject();
        var tokenById = vocab.ToDictionary(p => p.Value!.GetValue<int>(), p => p.Key);
        var merges = model["merges"]!.AsArray();
        var mergeOf = new Dictionary<string, (string Left, string Right)>(StringComparer.Ordinal);
        foreach (var merge in merges)
        {
            var (left, right) = MergePair(merge!, jsonPath);
            mergeOf.TryAdd(left + right, (left, right));
        }

        var keep = new HashSet<string>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            string symbol = ByteLevelAlphabet.FromBytes([(byte)b]);
            if (!vocab.ContainsKey(symbol)) throw new TokenizerFormatException(jsonPath, $"the vocabulary lacks the byte symbol for {b}");
            keep.Add(symbol);
        }
        var pending = new Stack<string>();
        foreach (string text in corpus)
            foreach (int id in tokenizer.Encode(text))
                if (tokenById.TryGetValue(id, out var token)) pending.Push(token);
        while (pending.TryPop(out var token))
        {
            if (!keep.Add(token)) continue;
            if (mergeOf.TryGetValue(token, out var parts))
            {
                pending.Push(parts.Left);
                pending.Push(parts.Right);
            }
        }

        var newId = new Dictionary<int, int>();
        var trimmedVocab = new JsonObject();
        foreach (var (id, token) in tokenById.Where(p => keep.Contains(p.Value)).OrderBy(p => p.Key))
        {
            newId[id] = newId.Count;
            trimmedVocab[token] = newId[id];
        }
        int ordinary = newId.Count;
        var trimmedMerges = new JsonArray();
        foreach (var merge in merges)
        {
            var (left, right) = MergePair(merge!, jsonPath);
            if (keep.Contains(left + right)) trimmedMerges.Add(merge!.DeepClone());
        }
        model["vocab"] = trimmedVocab;
        model["merges"] = trimmedMerges;

        var added = root["added_tokens"]?.AsArray() ?? [];
        foreach (var token in added.OrderBy(t => t!["id"]!.GetValue<int>()))
        {
            int id = newId.Count;
            newId[token!["id"]!.GetValue<int>()] = id;
            token["id"] = id;
        }

        Directory.CreateDirectory(outputFolder);
        var options = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(outputFolder, TokenizerFolder.TokenizerJson), root.ToJsonString(options));
        string configPath = Path.Combine(sourceFolder, TokenizerFolder.TokenizerConfigJson);
        if (File.Exists(configPath))
        {
            var config = JsonNode.Parse(File.ReadAllBytes(configPath))!.AsObject();
            if (config["added_tokens_decoder"] is JsonObject decoder)
            {
                var renumbered = new JsonObject();
                foreach (var (key, value) in decoder.ToList())
                {
                    int id = int.Parse(key, System.Globalization.CultureInfo.InvariantCulture);
                    if (!newId.TryGetValue(id, out int target))
                        throw new TokenizerFormatException(configPath, $"added token id {id} is not among {TokenizerFolder.TokenizerJson}'s added tokens");
                    decoder.Remove(key);
                    renumbered[target.ToString(System.Globalization.CultureInfo.InvariantCulture)] = value;
                }
                config["added_tokens_decoder"] = renumbered;
            }
            AtomicFile.WriteAllText(Path.Combine(outputFolder, TokenizerFolder.TokenizerConfigJson), config.ToJsonString(options));
        }
        return ordinary + added.Count;
    }

    static (string Left, string Right) MergePair(JsonNode merge, string path)
    {
        if (merge is JsonArray pair && pair.Count == 2) return (pair[0]!.GetValue<string>(), pair[1]!.GetValue<string>());
        string text = merge.GetValue<string>();
        int space = text.IndexOf(' ');
        if (space <= 0) throw new TokenizerFormatException(path, $"merge '{text}' is not two tokens");
        return (text[..space], text[(space + 1)..]);
    }
}
