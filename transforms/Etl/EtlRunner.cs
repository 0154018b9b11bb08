using System.Text.Json;
using System.Text.Json.Serialization;
using Vlm.Datasets.IO;
using Vlm.Datasets.Shards;
using Microsoft.ML;
using Vlm.Datasets.Tokenizers;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Data;
using Vlm.Transforms.Images;

namespace Vlm.Transforms.Etl;

/// <summary>The outcome of a run: the manifest when every shard is complete, else null (a job array still running).</summary>
public sealed record EtlResult(int ShardsWritten, int ShardsSkipped, EtlManifest? Manifest);

/// <summary>
/// Sources -> conversations -> checked images -> ids and labels -> Parquet shards, with a manifest
/// and a rejects file. Shard k holds the accepted rows of input records [k*R, (k+1)*R), so every
/// shard depends on its input range alone: reruns skip finished shards, a killed run resumes at
/// the first unfinished one, and N processes with <c>ShardCount = N</c> write disjoint shards whose
/// union is the single-process output.
/// </summary>
public sealed class EtlRunner(ITextTokenizer tokenizer, EtlOptions options)
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    readonly ConversationTokenizerTransformer _tokenize = new(tokenizer, options.Template);

    public static string ShardFileName(int shard) => $"shard-{shard:D5}.parquet";
    public static string ReportFileName(int shard) => $"shard-{shard:D5}.json";

    /// <summary>The number of input records in all sources (a progress total), or null when a file's framing is broken.</summary>
    public static long? CountRecords(IReadOnlyList<EtlSource> sources)
    {
        long total = 0;
        foreach (var source in sources)
        {
            if (EtlRecords.Count(source) is not { } count) return null;
            total += count;
        }
        return total;
    }

    /// <summary>The ETL steps for one source, as the ML.NET estimator chain a user can also build from the catalog.</summary>
    internal IEstimator<ITransformer> Steps(EtlSource source) =>
        new ColumnMappingEstimator<ImageCheckTransformer>(new ImageCheckTransformer(source.Images))
            .Append(new ColumnMappingEstimator<ConversationTokenizerTransformer>(_tokenize))
            .Append(new ColumnMappingEstimator<LengthPolicyTransformer>(new LengthPolicyTransformer(options.MaxLength, options.LengthPolicy, _tokenize.ImageTokenId)));

    public async Task<EtlResult> RunAsync(IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        Directory.CreateDirectory(options.Output);
        int written = 0, skipped = 0;
        int current = -1;
        ShardReport? report = null;
        var rows = new List<ShardRow>();
        long position = 0;

        foreach (var source in options.Sources)
        {
            var records = new ConversationDataView(source, options.Seed);
            var view = Steps(source).Fit(records).Transform(records);
            using var cursor = view.GetRowCursor(view.Schema);
            var row = new EtlRow(cursor);
            while (cursor.MoveNext())
            {
                cancellation.ThrowIfCancellationRequested();
                int shard = (int)(position / options.RecordsPerShard);
                if (shard != current)
                {
                    if (report is not null) { await FinishAsync(report, rows, cancellation); written++; }
                    current = shard;
                    report = null;
                    if (shard % options.ShardCount == options.ShardIndex)
                    {
                        if (await IsCompleteAsync(shard, cancellation)) skipped++;
                        else report = new ShardReport { Shard = shard, FirstRecord = position };
                    }
                }
                position++;
                progress?.Report(position);
                // Rows outside this process's unfinished shards are never read: the steps compute lazily.
                if (report is null) continue;
                report.Records++;
                var counts = Counts(report, source.Name);
                counts.Records++;
                string reject = row.RejectReason();
                if (reject.Length == 0)
                {
                    rows.Add(row.ToShardRow());
                    counts.Rows++;
                    if (row.Truncated()) report.Truncated++;
                }
                else
                {
                    report.Rejects.Add(row.ToRejectedRecord(reject));
                    counts.Rejected++;
                }
            }
        }
        if (report is not null) { await FinishAsync(report, rows, cancellation); written++; }

        int shards = (int)((position + options.RecordsPerShard - 1) / options.RecordsPerShard);
        var manifest = await EtlManifest.TryWriteAsync(options, tokenizer, _tokenize.ImageTokenId, shards, position);
        return new EtlResult(written, skipped, manifest);
    }

    static SourceCounts Counts(ShardReport report, string source)
    {
        if (!report.Sources.TryGetValue(source, out var counts)) report.Sources[source] = counts = new SourceCounts();
        return counts;
    }

    async Task<bool> IsCompleteAsync(int shard, CancellationToken cancellation)
    {
        string reportPath = Path.Combine(options.Output, ReportFileName(shard));
        if (!File.Exists(reportPath)) return false;
        try
        {
            var report = JsonSerializer.Deserialize<ShardReport>(await File.ReadAllBytesAsync(reportPath, cancellation), Json);
            if (report?.File is null) return report is not null;
            string shardPath = Path.Combine(options.Output, report.File);
            return File.Exists(shardPath) && await ShardFile.HashAsync(shardPath, cancellation) == report.Sha256;
        }
        catch (JsonException)
        {
            return false; // a damaged report: redo the shard
        }
    }

    async Task FinishAsync(ShardReport report, List<ShardRow> rows, CancellationToken cancellation)
    {
        report.Rows = rows.Count;
        if (rows.Count > 0)
        {
            report.File = ShardFileName(report.Shard);
            report.Sha256 = await ShardFile.WriteAsync(Path.Combine(options.Output, report.File), rows, cancellation: cancellation);
        }
        // The report is written last: its presence is what marks the shard complete.
        await AtomicFile.WriteAsync(Path.Combine(options.Output, ReportFileName(report.Shard)),
            stream => JsonSerializer.SerializeAsync(stream, report, Json, cancellation));
        rows.Clear();
    }
}
