using System.IO.Compression;
using System.Text.Json.Nodes;

namespace Vlm.Tests.TestSupport;

/// <summary>Tokenizer folders of the committed Llama tokenizers (tests/data/tokenizer/{llama2,llama3}-tokenizer.json.gz).</summary>
public static class LlamaTokenizerFolders
{
    /// <summary>
    /// Writes <c>{root}/{name}/tokenizer.json</c>; with <paramref name="imageToken"/>, a
    /// <c>tokenizer_config.json</c> adds <c>&lt;image&gt;</c> after the vocabulary, as LLaVA checkpoints do.
    /// </summary>
    public static string Write(string root, string name, bool imageToken = false)
    {
        string folder = Path.Combine(root, name + (imageToken ? "-image" : ""));
        Directory.CreateDirectory(folder);
        string json = Path.Combine(folder, "tokenizer.json");
        using (var gz = new GZipStream(File.OpenRead(Path.Combine(AppContext.BaseDirectory, "data", "tokenizer", $"{name}-tokenizer.json.gz")), CompressionMode.Decompress))
        using (var file = File.Create(json))
            gz.CopyTo(file);
        if (imageToken)
        {
            var doc = JsonNode.Parse(File.ReadAllText(json))!;
            int next = doc["model"]!["vocab"]!.AsObject().Count + doc["added_tokens"]!.AsArray().Count(t => (int)t!["id"]! >= doc["model"]!["vocab"]!.AsObject().Count);
            var config = new JsonObject
            {
                ["added_tokens_decoder"] = new JsonObject
                {
                    [next.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
                    {
                        ["content"] = "<image>", ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false, ["special"] = true,
                    },
                },
            };
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
        }
        return folder;
    }
}
