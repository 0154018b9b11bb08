using System.Text.Json.Serialization;

namespace Vlm.Datasets.Shards;

/// <summary>
/// One training row of a Parquet shard, with Hugging Face's column names so that Arrow, DuckDB,
/// Spark or `datasets` read the shards as they are.
/// </summary>
public sealed class ShardRow
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    /// <summary>Which source the row came from (e.g. "llava:detail_23k.json").</summary>
    [JsonPropertyName("source")] public string Source { get; set; } = "";
    /// <summary>Image path relative to its source's image root; null for text-only rows.</summary>
    [JsonPropertyName("image")] public string? Image { get; set; }
    [JsonPropertyName("image_sha256")] public string? ImageSha256 { get; set; }
    [JsonPropertyName("input_ids")] public List<int> InputIds { get; set; } = [];
    /// <summary>Equal to <see cref="InputIds"/> where loss is taken, -100 elsewhere.</summary>
    [JsonPropertyName("labels")] public List<int> Labels { get; set; } = [];
    [JsonPropertyName("num_image_tokens")] public int NumImageTokens { get; set; }
    /// <summary>The rendered conversation, each image shown once as its placeholder.</summary>
    [JsonPropertyName("text")] public string Text { get; set; } = "";
}
