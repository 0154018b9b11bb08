using System.Text.Json;
using System.Text.Json.Serialization;
using Vlm.Datasets.IO;
using Vlm.Datasets.Shards;

namespace Vlm.Transforms.Etl;

/// <summary>
/// <c>manifest.json</c>: the run's totals, config, tokenizer hash, shards and reject counts, assembled
/// from the shard reports once every shard is complete; <c>rejects.jsonl</c> lists every reject.
/// No timestamps: the same inputs and config give the same manifest.
/// </summary>
public sealed class EtlManifest
{
    public const string FileName = "manifest.json";
    public const string RejectsFileName = "rejects.jsonl";

    // rejects.jsonl: one object per line, non-ASCII kept readable.
    static readonly JsonSerializerOptions OneLine = new() { Encoder = EtlRunner.Json.Encoder };

    [JsonPropertyName("rows")] public long Rows { get; set; }
    [JsonPropertyName("rejected")] public long Rejected { get; set; }
    [JsonPropertyName("records")] public long Records { get; set; }
    [JsonPropertyName("truncated")] public long Truncated { get; set; }
    /// <summary>Rows whose id an earlier row already has (shard order); <see cref="DuplicateIdExamples"/> names the first few.</summary>
    [JsonPropertyName("duplicate_ids")] public long DuplicateIds { get; set; }
    [JsonPropertyName("duplicate_id_examples")] public List<string> DuplicateIdExamples { get; set; } = [];
    [JsonPropertyName("config")] public EtlOptions? Config { get; set; }
    [JsonPropertyName("tokenizer_sha256")] public string TokenizerSha256 { get; set; } = "";
    [JsonPropertyName("inputs")] public EtlInputs? Inputs { get; set; }
    [JsonPropertyName("image_token_id")] public int ImageTokenId { get; set; }
    [JsonPropertyName("shards")] public List<ShardEntry> Shards { get; set; } = [];
    [JsonPropertyName("sources")] public SortedDictionary<string, SourceCounts> Sources { get; set; } = new(StringComparer.Ordinal);
    [JsonPropertyName("reject_reasons")] public SortedDictionary<string, long> RejectReasons { get; set; } = new(StringComparer.Ordinal);

    public sealed record ShardEntry(
        [property: JsonPropertyName("file")] string File,
        [property: JsonPropertyName("rows")] long Rows,
        [property: JsonPropertyName("sha256")] string Sha256);

    internal static async Task<EtlManifest?> TryWriteAsync(EtlOptions options, EtlInputs inputs, int imageTokenId, int shardCount, long records)
    {
        var reports = new List<ShardReport>();
        for (int shard = 0; shard < shardCount; shard++)
        {
            string path = Path.Combine(options.Output, EtlRunner.ReportFileName(shard));
            if (!File.Exists(path)) return null; // another process of a job array has not finished yet
            var report = JsonSerializer.Deserialize<ShardReport>(await File.ReadAllBytesAsync(path), EtlRunner.Json)!;
            if (inputs.ChangesFrom(report.Inputs) is { Count: > 0 } changes)
                throw new EtlOutputConflictException($"{path} was made from other inputs while this run went on ({string.Join("; ", changes)})");
            reports.Add(report);
        }
        var manifest = new EtlManifest
        {
            Records = records,
            Config = options with { ShardCount = 1, ShardIndex = 0 },
            TokenizerSha256 = inputs.TokenizerSha256,
            Inputs = inputs,
            ImageTokenId = imageTokenId,
        };
        foreach (var report in reports)
        {
            manifest.Rows += report.Rows;
            manifest.Rejected += report.Rejects.Count;
            manifest.Truncated += report.Truncated;
            if (report.File is not null) manifest.Shards.Add(new ShardEntry(report.File, report.Rows, report.Sha256!));
            foreach (var (name, counts) in report.Sources)
            {
                if (!manifest.Sources.TryGetValue(name, out var total)) manifest.Sources[name] = total = new SourceCounts();
                total.Records += counts.Records;
                total.Rows += counts.Rows;
                total.Rejected += counts.Rejected;
            }
            foreach (var kind in report.Rejects.Select(r => ReasonKind(r.Reason)))
                manifest.RejectReasons[kind] = manifest.RejectReasons.GetValueOrDefault(kind) + 1;
        }
        await CountDuplicateIdsAsync(manifest, options.Output);
        await AtomicFile.WriteAsync(Path.Combine(options.Output, RejectsFileName), async stream =>
        {
            foreach (var reject in reports.SelectMany(r => r.Rejects))
            {
                await JsonSerializer.SerializeAsync(stream, reject, OneLine);
                stream.WriteByte((byte)'\n');
            }
        });
        await AtomicFile.WriteAsync(Path.Combine(options.Output, FileName), stream => JsonSerializer.SerializeAsync(stream, manifest, EtlRunner.Json));
        return manifest;
    }

    /// <summary>Counts rows whose id an earlier row has, over every shard's id column (see <see cref="IdSet"/>).</summary>
    static async Task CountDuplicateIdsAsync(EtlManifest manifest, string folder)
    {
        var seen = new IdSet();
        foreach (var shard in manifest.Shards)
            await foreach (var id in ShardFile.ReadIdsAsync(Path.Combine(folder, shard.File)))
            {
                if (seen.Add(id)) continue;
                manifest.DuplicateIds++;
                if (manifest.DuplicateIdExamples.Count < 5) manifest.DuplicateIdExamples.Add(id);
            }
    }

    /// <summary>The reason without its record-specific detail (after a colon), so that counts group.</summary>
    static string ReasonKind(string reason)
    {
        int colon = reason.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 ? reason[..colon] : reason;
    }
}
