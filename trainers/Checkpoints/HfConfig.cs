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
            var bytes = File.ReadAllBytes(path);
            // JsonDocument leaves a string's UTF-8 unchecked until it is read, then throws a bare InvalidOperationException.
            if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new CheckpointFormatException(path, null, "not valid UTF-8");
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(path, null, "config must be a JSON object");
            return new HfConfig(path, doc.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, $"not valid JSON ({e.Message})");
        }
    }

    /// <summary>A config held in memory (a model's own <c>ConfigJson</c>); <paramref name="origin"/> names it in errors.</summary>
    public static HfConfig Parse(System.Text.Json.Nodes.JsonObject json, string origin)
    {
        using var doc = JsonDocument.Parse(json.ToJsonString());
        return new HfConfig(origin, doc.RootElement.Clone());
    }

    public bool Has(string key) => _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public string? String(string key, string? fallback = null) =>
        Has(key) ? Get(key, JsonValueKind.String).GetString() : fallback;

    public int Int(string key, int? fallback = null)
    {
        if (!Has(key)) return fallback ?? throw Missing(key);
        return Get(key, JsonValueKind.Number).TryGetInt32(out int value) ? value
            : throw new CheckpointFormatException(Path, null, $"\"{key}\" must be a whole number from {int.MinValue} to {int.MaxValue}");
    }

    /// <summary>A size or count: a whole number of at least 1 (a zero or negative one would divide by zero or allocate nonsense later).</summary>
    public int Count(string key, int? fallback = null)
    {
        int value = Int(key, fallback);
        return value >= 1 ? value : throw new CheckpointFormatException(Path, null, $"\"{key}\" is {value}; it must be at least 1");
    }

    public double Double(string key, double? fallback = null)
    {
        if (!Has(key)) return fallback ?? throw Missing(key);
        return Get(key, JsonValueKind.Number).TryGetDouble(out double value) && double.IsFinite(value) ? value
            : throw new CheckpointFormatException(Path, null, $"\"{key}\" must be a finite number");
    }

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
