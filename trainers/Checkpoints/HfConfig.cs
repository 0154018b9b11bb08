using System.Text.Json;

namespace Vlm.Trainers.Checkpoints;

/// <summary>A Hugging Face <c>config.json</c>: typed reads with defaults, and errors that name the file and key.</summary>
internal sealed class HfConfig
{
    readonly JsonElement _root;

    HfConfig(string path, JsonElement root)
    {
        Path = path;
        _root = root;
    }

    public string Path { get; }

    public static HfConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no config.json in the checkpoint folder", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(path, null, "config must be a JSON object");
            return new HfConfig(path, doc.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, $"not valid JSON ({e.Message})");
        }
    }

    public bool Has(string key) => _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public string? String(string key, string? fallback = null) =>
        Has(key) ? Get(key, JsonValueKind.String).GetString() : fallback;

    public int Int(string key, int? fallback = null) =>
        Has(key) ? Get(key, JsonValueKind.Number).GetInt32() : fallback ?? throw Missing(key);

    public double Double(string key, double? fallback = null) =>
        Has(key) ? Get(key, JsonValueKind.Number).GetDouble() : fallback ?? throw Missing(key);

    /// <summary>A nested config object (<c>vision_config</c>, <c>text_config</c>), or null when absent.</summary>
    public HfConfig? Section(string key) =>
        Has(key) ? new HfConfig($"{Path}#{key}", Get(key, JsonValueKind.Object).Clone()) : null;

    public bool Bool(string key, bool? fallback = null)
    {
        if (!Has(key)) return fallback ?? throw Missing(key);
        var v = _root.GetProperty(key);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new CheckpointFormatException(Path, null, $"\"{key}\" must be true or false"),
        };
    }

    JsonElement Get(string key, JsonValueKind kind)
    {
        var v = _root.GetProperty(key);
        if (v.ValueKind != kind) throw new CheckpointFormatException(Path, null, $"\"{key}\" must be a {kind.ToString().ToLowerInvariant()}");
        return v;
    }

    Exception Missing(string key) => new CheckpointFormatException(Path, null, $"required key \"{key}\" is missing");
}
