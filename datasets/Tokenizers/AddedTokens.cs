using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vlm.Datasets.IO;

namespace Vlm.Datasets.Tokenizers;

/// <summary>Adds special tokens to a <c>tokenizer.json</c> folder the way Hugging Face's <c>add_tokens</c> saves them: in <c>tokenizer_config.json</c>'s <c>added_tokens_decoder</c>.</summary>
public static class AddedTokens
{
    /// <summary>
    /// Gives <paramref name="token"/> the next id after the vocabulary when the folder's tokenizer
    /// lacks it (LLaVA's <c>&lt;image&gt;</c>); returns its id either way. The model's embeddings must
    /// then cover the new vocabulary size.
    /// </summary>
    public static int Ensure(string folder, string token)
    {
        var tokenizer = TextTokenizer.Load(folder);
        if (tokenizer.SpecialTokenId(token) is { } existing) return existing;
        string path = Path.Combine(folder, TokenizerFolder.TokenizerConfigJson);
        if (!File.Exists(Path.Combine(folder, TokenizerFolder.TokenizerJson)))
            throw new TokenizerFormatException(folder, $"special tokens can be added to a {TokenizerFolder.TokenizerJson} folder only");
        var config = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new TokenizerFormatException(path, "not a JSON object") : [];
        var decoder = config["added_tokens_decoder"] as JsonObject ?? [];
        config["added_tokens_decoder"] = decoder;
        int id = tokenizer.VocabularySize;
        decoder[id.ToString(CultureInfo.InvariantCulture)] = new JsonObject
        {
            ["content"] = token, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false, ["special"] = true,
        };
        AtomicFile.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return id;
    }
}
