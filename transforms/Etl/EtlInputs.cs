using System.Text.Json;
using System.Text.Json.Serialization;
using Vlm.Datasets.IO;
using Vlm.Datasets.Shards;
using Vlm.Datasets.Tokenizers;

namespace Vlm.Transforms.Etl;

/// <summary>
/// What a run's output is made from: each annotation file's bytes (SHA-256), the real path of its
/// image folder, the tokenizer's files and every setting that changes a row. Written into each shard
/// report and the manifest, so a rerun over a folder made from other inputs is never taken for
/// finished work, and the message can say what changed.
/// </summary>
public sealed class EtlInputs
{
    [JsonPropertyName("sources")] public List<SourceInputs> Sources { get; set; } = [];
    [JsonPropertyName("tokenizer_sha256")] public string TokenizerSha256 { get; set; } = "";
    /// <summary>The settings as their JSON text, by name (template, seed, max_length, ...).</summary>
    [JsonPropertyName("settings")] public SortedDictionary<string, string> Settings { get; set; } = new(StringComparer.Ordinal);

    public sealed record SourceInputs(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("annotations_sha256")] string AnnotationsSha256,
        [property: JsonPropertyName("annotations_bytes")] long AnnotationsBytes,
        [property: JsonPropertyName("images")] string Images);

    public static async Task<EtlInputs> OfAsync(EtlOptions options, ITextTokenizer tokenizer, CancellationToken cancellation = default)
    {
        var inputs = new EtlInputs { TokenizerSha256 = tokenizer.Fingerprint };
        foreach (var source in options.Sources)
            inputs.Sources.Add(new SourceInputs(source.Name, await ShardFile.HashAsync(source.Annotations, cancellation),
                new FileInfo(source.Annotations).Length, RealPath.Of(source.Images) ?? Path.GetFullPath(source.Images)));
        void Set(string name, object value) => inputs.Settings[name] = JsonSerializer.Serialize(value, EtlRunner.Json).ReplaceLineEndings("").Replace("  ", "");
        Set("template", options.Template);
        Set("seed", options.Seed);
        Set("max_length", options.MaxLength);
        Set("length_policy", options.LengthPolicy);
        Set("records_per_shard", options.RecordsPerShard);
        Set("allow_partial", options.AllowPartial);
        Set("max_image_pixels", options.MaxImagePixels);
        Set("duplicate_ids", options.DuplicateIds);
        return inputs;
    }

    /// <summary>What differs from <paramref name="before"/>, one phrase each; empty when nothing does.</summary>
    public IReadOnlyList<string> ChangesFrom(EtlInputs? before)
    {
        if (before is null) return ["the inputs it was made from are not recorded (made by an earlier version)"];
        var changes = new List<string>();
        if (before.Sources.Count != Sources.Count || !before.Sources.Select(s => s.Name).SequenceEqual(Sources.Select(s => s.Name)))
            changes.Add($"sources {string.Join(", ", before.Sources.Select(s => s.Name))} -> {string.Join(", ", Sources.Select(s => s.Name))}");
        else
            foreach (var (was, now) in before.Sources.Zip(Sources))
            {
                if (was.AnnotationsSha256 != now.AnnotationsSha256)
                    changes.Add($"{now.Name}'s annotations changed ({was.AnnotationsBytes} -> {now.AnnotationsBytes} bytes, sha256 {was.AnnotationsSha256[..12]} -> {now.AnnotationsSha256[..12]})");
                if (was.Images != now.Images) changes.Add($"{now.Name}'s image folder {was.Images} -> {now.Images}");
            }
        if (before.TokenizerSha256 != TokenizerSha256) changes.Add($"tokenizer sha256 {Short(before.TokenizerSha256)} -> {Short(TokenizerSha256)}");
        foreach (var name in Settings.Keys.Union(before.Settings.Keys).Order(StringComparer.Ordinal))
        {
            string? was = before.Settings.GetValueOrDefault(name), now = Settings.GetValueOrDefault(name);
            if (was != now) changes.Add($"{name} {was ?? "(unset)"} -> {now ?? "(unset)"}");
        }
        return changes;
    }

    static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}
