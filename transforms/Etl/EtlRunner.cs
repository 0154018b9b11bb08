using System.Text.Json;
using System.Text.Json.Serialization;
using Vlm.Datasets.IO;
using Vlm.Datasets.Shards;
using Vlm.Datasets.Sources;
using Vlm.Datasets.Tokenizers;
using Vlm.Transforms.Conversations;
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

    readonly ConversationEncoder _encoder = new(tokenizer, options.Template);

    public static string ShardFileName(int shard) => $"shard-{shard:D5}.parquet";
    public static string ReportFileName(int shard) => $"shard-{shard:D5}.json";

    public async Task<EtlResult> RunAsync(IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        Directory.CreateDirectory(options.Output);
        int written = 0, skipped = 0;
        int current = -1;
        ShardReport? report = null;
        var rows = new List<ShardRow>();
        long position = 0;

        foreach (var (source, item) in EtlRecords.Read(options.Sources, options.Seed))
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
            if (report is null) continue;
            report.Records++;
            var counts = Counts(report, source.Name);
            counts.Records++;
            var (row, reason) = Build(source, item, report);
            if (row is not null)
            {
                rows.Add(row);
                counts.Rows++;
            }
            else
            {
                report.Rejects.Add(new RejectedRecord(item.File, item.Index, item.Id, reason!));
                counts.Rejected++;
            }
        }
        if (report is not null) { await FinishAsync(report, rows, cancellation); written++; }

        int shards = (int)((position + options.RecordsPerShard - 1) / options.RecordsPerShard);
        var manifest = await EtlManifest.TryWriteAsync(options, tokenizer, _encoder.ImageTokenId, shards, position);
        return new EtlResult(written, skipped, manifest);
    }

    static SourceCounts Counts(ShardReport report, string source)
    {
        if (!report.Sources.TryGetValue(source, out var counts)) report.Sources[source] = counts = new SourceCounts();
        return counts;
    }

    (ShardRow? Row, string? Reason) Build(EtlSource source, SourceItem<ConversationRecord> item, ShardReport report)
    {
        if (item.Record is not { } record) return (null, item.RejectReason);
        ImageReference? image = null;
        if (record.Image is not null)
        {
            image = ImageReference.Resolve(source.Images, record.Image);
            if (image.IsRejected) return (null, $"{image.RejectReason}: {record.Image}");
            // A record with an image but no tag: the image goes before the first question, as LLaVA's own preprocessing puts it.
            if (!record.Turns.Any(t => t.Text.Contains(ConversationRecord.ImageTag, StringComparison.Ordinal)))
                record = record with { Turns = [record.Turns[0] with { Text = ConversationRecord.ImageTag + "\n" + record.Turns[0].Text }, .. record.Turns.Skip(1)] };
        }
        var encoded = _encoder.Encode(record);
        int[] ids = encoded.InputIds, labels = encoded.Labels;
        if (ids.Length > options.MaxLength)
        {
            if (options.LengthPolicy == LengthPolicy.Drop)
                return (null, $"too long: {ids.Length} tokens > max_length {options.MaxLength}");
            if (Array.LastIndexOf(ids, _encoder.ImageTokenId) >= options.MaxLength)
                return (null, $"truncating to max_length {options.MaxLength} would cut image tokens");
            ids = ids[..options.MaxLength];
            labels = labels[..options.MaxLength];
            if (labels.All(l => l == EncodedConversation.IgnoreIndex))
                return (null, $"no answer left after truncating to max_length {options.MaxLength}");
            report.Truncated++;
        }
        return (new ShardRow
        {
            Id = record.Id,
            Source = source.Name,
            Image = image?.RelativePath,
            ImageSha256 = image?.Sha256,
            InputIds = [.. ids],
            Labels = [.. labels],
            NumImageTokens = encoded.NumImageTokens,
            Text = encoded.Text,
        }, null);
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
