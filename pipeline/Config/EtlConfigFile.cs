using Vlm.Datasets.Images;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Vlm.Pipeline.Config;

/// <summary>
/// <c>etl.yaml</c> for <c>vlm prepare --config</c>: the output, the tokenizer, the template and
/// limits, and any number of sources. Relative paths are relative to the YAML file's folder.
/// Unknown keys, unknown values and missing files stop the run before anything is written.
/// </summary>
internal sealed class EtlConfigFile
{
    // The YAML shape; snake_case keys as in the command-line options.
    sealed class Document
    {
        public string? Output { get; set; }
        public string? Tokenizer { get; set; }
        public string? Template { get; set; }
        public string? SystemPrompt { get; set; }
        public int? ImageTokens { get; set; }
        public bool FirstTurnOnly { get; set; }
        public bool SplitSpecialTokens { get; set; }
        public int? MaxLength { get; set; }
        public string? LengthPolicy { get; set; }
        public int? Seed { get; set; }
        public int? RecordsPerShard { get; set; }
        public long? MaxImagePixels { get; set; }
        public bool AllowPartial { get; set; }
        public string? DuplicateIds { get; set; }
        public List<SourceDocument>? Sources { get; set; }
    }

    sealed class SourceDocument
    {
        public string? Format { get; set; }
        public string? Annotations { get; set; }
        public string? Images { get; set; }
    }

    public required EtlOptions Options { get; init; }
    /// <summary>The tokenizer folder, or null for the built-in one.</summary>
    public string? Tokenizer { get; init; }
    /// <summary>The template named in the file, or null to follow the tokenizer.</summary>
    public string? Template { get; init; }

    public static EtlConfigFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such config file", path);
        Document doc;
        try
        {
            doc = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<Document>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: the config is empty");
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{path}: line {e.Start.Line}, column {e.Start.Column}: {(e.InnerException ?? e).Message}");
        }
        string baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Resolve(string value) => Path.GetFullPath(Path.Combine(baseDir, value));
        string Required(string? value, string key) => value ?? throw new InvalidDataException($"{path}: \"{key}\" is required");

        if (doc.Template is not (null or "qwen" or "qwen2"))
            throw new InvalidDataException($"{path}: template must be qwen or qwen2, not '{doc.Template}'");
        if (doc.Sources is not { Count: > 0 }) throw new InvalidDataException($"{path}: \"sources\" needs at least one source");
        var sources = doc.Sources.Select((s, i) => new EtlSource(
            ParseFormat(Required(s.Format, $"sources[{i}].format"), path),
            Resolve(Required(s.Annotations, $"sources[{i}].annotations")),
            Resolve(Required(s.Images, $"sources[{i}].images")))).ToList();
        var defaults = new ChatTemplateOptions();
        var options = new EtlOptions
        {
            Sources = sources,
            Output = Resolve(Required(doc.Output, "output")),
            Template = defaults with
            {
                SystemPrompt = doc.SystemPrompt ?? defaults.SystemPrompt,
                ImageTokenCount = doc.ImageTokens ?? defaults.ImageTokenCount,
                FirstTurnOnly = doc.FirstTurnOnly,
                SplitSpecialTokens = doc.SplitSpecialTokens,
            },
            Seed = doc.Seed ?? 42,
            MaxLength = doc.MaxLength ?? 2048,
            LengthPolicy = doc.LengthPolicy switch
            {
                null or "drop" => LengthPolicy.Drop,
                "truncate" => LengthPolicy.Truncate,
                var other => throw new InvalidDataException($"{path}: length_policy must be drop or truncate, not '{other}'"),
            },
            RecordsPerShard = doc.RecordsPerShard ?? 2048,
            MaxImagePixels = doc.MaxImagePixels ?? ImageDecoder.DefaultMaxPixels,
            AllowPartial = doc.AllowPartial,
            DuplicateIds = doc.DuplicateIds switch
            {
                null or "warn" => DuplicateIds.Warn,
                "reject" => DuplicateIds.Reject,
                var other => throw new InvalidDataException($"{path}: duplicate_ids must be warn or reject, not '{other}'"),
            },
        };
        return new EtlConfigFile { Options = options, Tokenizer = doc.Tokenizer is null ? null : Resolve(doc.Tokenizer), Template = doc.Template };
    }

    public static SourceFormat ParseFormat(string value, string where) => value switch
    {
        "llava" => SourceFormat.Llava,
        "jsonl" => SourceFormat.Jsonl,
        "aichallenger" => SourceFormat.AiChallenger,
        "coco" => SourceFormat.Coco,
        _ => throw new InvalidDataException($"{where}: format must be llava, jsonl, aichallenger or coco, not '{value}'"),
    };
}
