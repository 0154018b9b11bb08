using Vlm.Datasets.Tokenizers;
using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Config;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

namespace Vlm.Pipeline.Commands;

/// <summary>
/// <c>vlm prepare</c>: one annotation source to Parquet shards, a manifest and a rejects file.
/// Exit 0 when the run completed (rejected records included); 1 when it could not run.
/// </summary>
internal sealed class PrepareCommand : ICommand
{
    public string Name => "prepare";
    public string Summary => "turn LLaVA / AI Challenger / COCO / JSONL annotations into Parquet training shards";
    public string Example => "vlm prepare --format llava --annotations detail_23k.json --images ./train2017 --output ./shards   (or: vlm prepare --config etl.yaml)";

    // The job-array defaults shown are the options record's own (its required members play no part in them).
    static readonly EtlOptions Defaults = new() { Sources = [], Output = "" };

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("config", "an etl.yaml with several sources and every setting below (see README); excludes the one-source options"),
        new("format", "llava, jsonl, aichallenger or coco (one source, without --config)"),
        new("annotations", "the annotation file (one source)"),
        new("images", "folder the records' image paths are relative to (one source)"),
        new("output", "folder for shards, manifest.json and rejects.jsonl (one source)"),
        .. EtlSettings.All.Select(s => s.Option),
        new("overwrite", "replace output in --output that was made from other inputs (otherwise the run refuses, saying what changed)", IsFlag: true),
        new("shard_count", "processes in a job array", Default: $"{Defaults.ShardCount}"),
        new("shard_index", "this process's index in the job array", Default: $"{Defaults.ShardIndex}"),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        var (options, tokenizerFolder, templateName) = args.Value("config") is { } config ? FromConfig(args, config) : FromFlags(args);
        options = options with { ShardCount = args.Int("shard_count"), ShardIndex = args.Int("shard_index"), Overwrite = args.Flag("overwrite") };
        options.Validate();
        var tokenizer = TextTokenizer.Load(tokenizerFolder ?? BuiltInTokenizer.Folder);
        // The name was checked when it was read; without one the tokenizer says which template it is made for.
        var format = templateName is null ? ChatTemplate.For(tokenizer).Format : ChatTemplate.Named(templateName).Format;
        options = options with { Template = options.Template with { Format = format } };

        var started = System.Diagnostics.Stopwatch.StartNew();
        // Counting costs one framing pass over the annotations: worth it only for a time-left estimate on a terminal.
        long? total = ProgressReporter.IsTerminal(output) ? EtlRunner.CountRecords(options.Sources) : null;
        EtlResult result;
        using (var progress = ProgressReporter.Create(output, "records", total, logEvery: 10_000))
            result = new EtlRunner(tokenizer, options).RunAsync(progress).GetAwaiter().GetResult();
        output.WriteLine($"shards written {result.ShardsWritten}, already complete {result.ShardsSkipped}, {started.Elapsed.TotalSeconds:F1} s");
        if (result.Manifest is not { } manifest)
        {
            output.WriteLine("other processes of the job array have shards to finish; the manifest is written by the last one");
            return ExitCodes.Ok;
        }
        output.WriteLine($"{"source",-40} {"records",10} {"rows",10} {"rejected",10}");
        foreach (var (name, counts) in manifest.Sources)
            output.WriteLine($"{name,-40} {counts.Records,10} {counts.Rows,10} {counts.Rejected,10}");
        foreach (var (reason, count) in manifest.RejectReasons)
            output.WriteLine($"  rejected: {reason} ({count})");
        if (manifest.DuplicateIds > 0)
            output.WriteLine($"warning: {manifest.DuplicateIds} row(s) repeat an earlier row's id (e.g. {string.Join(", ", manifest.DuplicateIdExamples)}); kept, counted in the manifest");
        output.WriteLine($"rows {manifest.Rows}, rejected {manifest.Rejected}, truncated {manifest.Truncated} -> {Path.Combine(options.Output, EtlManifest.FileName)}");
        return ExitCodes.Ok;
    }

    // The options etl.yaml holds itself: with --config, none of them may be given.
    static readonly string[] OneSourceOptions = ["format", "annotations", "images", "output", .. EtlSettings.All.Select(s => s.Name)];

    static PrepareSettings FromConfig(CommandLine args, string path)
    {
        var given = OneSourceOptions.Where(o => args.Value(o) is not null || args.Flag(o)).ToList();
        if (given.Count > 0) throw new UsageException($"--config sets everything itself; drop --{string.Join(", --", given)}");
        return EtlConfigFile.Load(path);
    }

    static PrepareSettings FromFlags(CommandLine args)
    {
        foreach (var name in new[] { "format", "annotations", "images", "output" })
            if (args.Value(name) is null) throw new UsageException($"--{name} is required (or give --config)");
        var source = new EtlSource(EtlConfigFile.ParseFormat(args.Required("format"), new Settings.Flags()), args.Required("annotations"), args.Required("images"));
        var settings = Settings.FromFlags(EtlSettings.All, EtlSettings.Start([source], args.Required("output")), args);
        return settings;
    }
}
