using System.Text.Json.Serialization;

namespace Vlm.Transforms.Etl;

/// <summary>One rejected record: where it is and why it was left out.</summary>
public sealed record RejectedRecord(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("index")] long Index,
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("reason")] string Reason);

/// <summary>Per-source counts.</summary>
public sealed class SourceCounts
{
    [JsonPropertyName("records")] public long Records { get; set; }
    [JsonPropertyName("rows")] public long Rows { get; set; }
    [JsonPropertyName("rejected")] public long Rejected { get; set; }
}

/// <summary>
/// What one shard's input range produced: written next to the shard as <c>shard-NNNNN.json</c>
/// once the shard is complete, so a rerun skips it and a job array's processes can be merged.
/// </summary>
public sealed class ShardReport
{
    [JsonPropertyName("shard")] public int Shard { get; set; }
    /// <summary>What the shard was made from; a rerun with other inputs does not take it as done.</summary>
    [JsonPropertyName("inputs")] public EtlInputs? Inputs { get; set; }
    /// <summary>Null when every record of the range was rejected (no Parquet file is written then).</summary>
    [JsonPropertyName("file")] public string? File { get; set; }
    [JsonPropertyName("sha256")] public string? Sha256 { get; set; }
    [JsonPropertyName("first_record")] public long FirstRecord { get; set; }
    [JsonPropertyName("records")] public long Records { get; set; }
    [JsonPropertyName("rows")] public long Rows { get; set; }
    [JsonPropertyName("truncated")] public long Truncated { get; set; }
    [JsonPropertyName("sources")] public SortedDictionary<string, SourceCounts> Sources { get; set; } = new(StringComparer.Ordinal);
    [JsonPropertyName("rejects")] public List<RejectedRecord> Rejects { get; set; } = [];
}
