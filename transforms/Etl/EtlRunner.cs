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

    readonly ConversationTokenizerTransformer _tokenize = new(tokenizer, options.Template, options.MaxLength);

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
        new ColumnMappingEstimator<ImageCheckTransformer>(new ImageCheckTransformer(source.Images, options.MaxImagePixels))
            .Append(new ColumnMappingEstimator<ConversationTokenizerTransformer>(_tokenize))
            .Append(new ColumnMappingEstimator<LengthPolicyTransformer>(new LengthPolicyTransformer(options.MaxLength, options.LengthPolicy, _tokenize.ImageTokenId)));

    public Task<EtlResult> RunAsync(IProgress<long>? progress = null, CancellationToken cancellation = default) =>
        WriteAsync(source =>
        {
            var records = new ConversationDataView(source, options.Seed, options.AllowPartial);
            return Steps(source).Fit(records).Transform(records);
        }, progress, cancellation);

    /// <summary>Writes the shards from each source's rows as <paramref name="rowsOf"/> gives them: the ETL steps' output columns.</summary>
    internal async Task<EtlResult> WriteAsync(Func<EtlSource, IDataView> rowsOf, IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        // The manifest and the fingerprint record the format in effect, never "auto".
        options = options with { Template = _tokenize.Template };
        var inputs = await EtlInputs.OfAsync(options, tokenizer, cancellation);
        Directory.CreateDirectory(options.Output);
        await SetAsideOtherRunsAsync(inputs, cancellation);
        int written = 0, skipped = 0;
        var seenIds = options.DuplicateIds == DuplicateIds.Reject ? new IdSet() : null;
        int current = -1;
        ShardReport? report = null;
        var rows = new List<ShardRow>();
        long position = 0;

        foreach (var source in options.Sources)
        {
            var view = rowsOf(source);
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
                        if (await IsCompleteAsync(shard, inputs, cancellation))
                        {
                            skipped++;
                            // A resumed run rejects the same duplicates as an uninterrupted one: the done shards' ids count too.
                            if (seenIds is not null && File.Exists(Path.Combine(options.Output, ShardFileName(shard))))
                                await foreach (var id in ShardFile.ReadIdsAsync(Path.Combine(options.Output, ShardFileName(shard)), cancellation)) seenIds.Add(id);
                        }
                        else report = new ShardReport { Shard = shard, FirstRecord = position, Inputs = inputs };
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
                if (reject.Length == 0 && seenIds is not null && !seenIds.Add(row.Id())) reject = $"duplicate id: {row.Id()}";
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
        var manifest = await EtlManifest.TryWriteAsync(options, inputs, _tokenize.ImageTokenId, shards, position);
        return new EtlResult(written, skipped, manifest);
    }

    static SourceCounts Counts(ShardReport report, string source)
    {
        if (!report.Sources.TryGetValue(source, out var counts)) report.Sources[source] = counts = new SourceCounts();
        return counts;
    }

    /// <summary>
    /// Shard reports and a manifest in the output folder that were made from other inputs are never
    /// taken for this run's: they are removed with their shards when <see cref="EtlOptions.Overwrite"/>
    /// is set, else the run stops before writing anything, saying what changed. (Processes of one job
    /// array share their inputs, so none removes another's work.)
    /// </summary>
    async Task SetAsideOtherRunsAsync(EtlInputs inputs, CancellationToken cancellation)
    {
        var stale = new List<(string File, IReadOnlyList<string> Changes, string[] Remove)>();
        foreach (string path in Directory.GetFiles(options.Output, "shard-*.json"))
        {
            var report = await ReadAsync<ShardReport>(path, cancellation);
            var changes = inputs.ChangesFrom(report?.Inputs);
            if (changes.Count > 0) stale.Add((path, changes, [path, Path.ChangeExtension(path, ".parquet")]));
        }
        string manifestPath = Path.Combine(options.Output, EtlManifest.FileName);
        if (File.Exists(manifestPath))
        {
            var changes = inputs.ChangesFrom((await ReadAsync<EtlManifest>(manifestPath, cancellation))?.Inputs);
            if (changes.Count > 0) stale.Add((manifestPath, changes, [manifestPath, Path.Combine(options.Output, EtlManifest.RejectsFileName)]));
        }
        if (stale.Count == 0) return;
        if (!options.Overwrite)
        {
            var (file, changes, _) = stale[0];
            throw new EtlOutputConflictException($"{options.Output} holds output made from other inputs ({stale.Count} file(s), e.g. {Path.GetFileName(file)}: {string.Join("; ", changes)}); "
                + "give --overwrite to replace it, or choose another --output");
        }
        foreach (var path in stale.SelectMany(s => s.Remove)) File.Delete(path);
    }

    async Task<bool> IsCompleteAsync(int shard, EtlInputs inputs, CancellationToken cancellation)
    {
        var report = await ReadAsync<ShardReport>(Path.Combine(options.Output, ReportFileName(shard)), cancellation);
        if (report is null || inputs.ChangesFrom(report.Inputs).Count > 0) return false;
        if (report.File is null) return true;
        string shardPath = Path.Combine(options.Output, report.File);
        return File.Exists(shardPath) && await ShardFile.HashAsync(shardPath, cancellation) == report.Sha256;
    }

    /// <summary>A report or manifest, or null when it is missing or damaged (an interrupted write: redo it).</summary>
    static async Task<T?> ReadAsync<T>(string path, CancellationToken cancellation) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(await File.ReadAllBytesAsync(path, cancellation), Json);
        }
        catch (JsonException)
        {
            return null;
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

/// <summary>The output folder holds work made from other inputs; nothing was written.</summary>
public sealed class EtlOutputConflictException(string message) : IOException(message);
