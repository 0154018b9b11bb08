using Vlm.Datasets.Images;
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

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("config", "an etl.yaml with several sources and every setting (see README); excludes the one-source options below"),
        new("format", "llava, jsonl, aichallenger or coco (one source, without --config)"),
        new("annotations", "the annotation file (one source)"),
        new("images", "folder the records' image paths are relative to (one source)"),
        new("output", "folder for shards, manifest.json and rejects.jsonl (one source)"),
        new("tokenizer", "tokenizer folder", Default: "the built-in Qwen tokenizer"),
        new("template", "qwen (Qwen-7B chatml, <|extra_0|>), qwen2 (Qwen2 chatml, <|image_pad|>), vicuna_v1 (LLaVA-1.5, <image>) or llama3 (<image>)", Default: "the tokenizer's, by its special tokens"),
        new("system_prompt", "system prompt; empty for none", Default: ChatTemplateOptions.OriginalSystemPrompt),
        new("image_tokens", "image placeholder ids per image (the vision tower's feature count)", Default: "256"),
        new("first_turn_only", "keep only the first question and answer of each record", IsFlag: true),
        new("split_special_tokens", "encode special-token strings in the text (<|im_start|> ...) as plain text, not control tokens", IsFlag: true),
        new("max_length", "longest conversation in tokens", Default: "2048"),
        new("length_policy", "drop or truncate conversations over max_length", Default: "drop"),
        new("seed", "seed of the caption policy (AI Challenger, COCO)", Default: "42"),
        new("records_per_shard", "input records per shard", Default: "2048"),
        new("max_image_pixels", "images over this many pixels (by their header) are rejected before decoding", Default: ImageDecoder.DefaultMaxPixels.ToString()),
        new("duplicate_ids", "warn (keep rows that repeat an earlier row's id, counted in the manifest) or reject them", Default: "warn"),
        new("allow_partial", "keep the records before a break in an annotation file (a truncated file) instead of failing", IsFlag: true),
        new("overwrite", "replace output in --output that was made from other inputs (otherwise the run refuses, saying what changed)", IsFlag: true),
        new("shard_count", "processes in a job array", Default: "1"),
        new("shard_index", "this process's index in the job array", Default: "0"),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        var (options, tokenizerFolder, templateName) = args.Value("config") is { } config ? FromConfig(args, config) : FromFlags(args);
        options = options with { ShardCount = args.Int("shard_count", 1), ShardIndex = args.Int("shard_index", 0), Overwrite = args.Flag("overwrite") };
        options.Validate();
        var tokenizer = TextTokenizer.Load(tokenizerFolder ?? BuiltInTokenizer.Folder);
        ChatFormat format;
        try
        {
            format = templateName is null ? ChatTemplate.For(tokenizer).Format : ChatTemplate.Named(templateName).Format;
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
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

    static readonly string[] OneSourceOptions =
        ["format", "annotations", "images", "output", "tokenizer", "template", "system_prompt", "image_tokens", "first_turn_only", "split_special_tokens",
         "max_length", "length_policy", "seed", "records_per_shard", "max_image_pixels", "allow_partial", "duplicate_ids"];

    static (EtlOptions, string?, string?) FromConfig(CommandLine args, string path)
    {
        var given = OneSourceOptions.Where(o => args.Value(o) is not null || args.Flag(o)).ToList();
        if (given.Count > 0) throw new UsageException($"--config sets everything itself; drop --{string.Join(", --", given)}");
        var config = EtlConfigFile.Load(path);
        return (config.Options, config.Tokenizer, config.Template);
    }

    static (EtlOptions, string?, string?) FromFlags(CommandLine args)
    {
        foreach (var name in new[] { "format", "annotations", "images", "output" })
            if (args.Value(name) is null) throw new UsageException($"--{name} is required (or give --config)");
        var options = new EtlOptions
        {
            Sources = [new EtlSource(Format(args.Required("format")), args.Required("annotations"), args.Required("images"))],
            Output = args.Required("output"),
            Template = new ChatTemplateOptions
            {
                SystemPrompt = args.Value("system_prompt") ?? ChatTemplateOptions.OriginalSystemPrompt,
                ImageTokenCount = args.Int("image_tokens", 256),
                FirstTurnOnly = args.Flag("first_turn_only"),
                SplitSpecialTokens = args.Flag("split_special_tokens"),
            },
            Seed = args.Int("seed", 42),
            MaxLength = args.Int("max_length", 2048),
            LengthPolicy = (args.Value("length_policy") ?? "drop") switch
            {
                "drop" => LengthPolicy.Drop,
                "truncate" => LengthPolicy.Truncate,
                var other => throw new UsageException($"--length_policy must be drop or truncate, not '{other}'"),
            },
            RecordsPerShard = args.Int("records_per_shard", 2048),
            MaxImagePixels = args.Long("max_image_pixels", ImageDecoder.DefaultMaxPixels),
            AllowPartial = args.Flag("allow_partial"),
            DuplicateIds = (args.Value("duplicate_ids") ?? "warn") switch
            {
                "warn" => DuplicateIds.Warn,
                "reject" => DuplicateIds.Reject,
                var other => throw new UsageException($"--duplicate_ids must be warn or reject, not '{other}'"),
            },
        };
        return (options, args.Value("tokenizer"), args.Value("template"));
    }

    static SourceFormat Format(string value) => value is "llava" or "jsonl" or "aichallenger" or "coco"
        ? EtlConfigFile.ParseFormat(value, "--format")
        : throw new UsageException($"--format must be llava, jsonl, aichallenger or coco, not '{value}'");
}
