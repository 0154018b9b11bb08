using Vlm.Transforms.Etl;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vlm.Pipeline.Config;

/// <summary>
/// <c>etl.yaml</c> for <c>vlm prepare --config</c>: the output, any number of sources, and the same
/// settings as the command's flags under the same snake_case names (<see cref="EtlSettings"/>).
/// Relative paths are relative to the YAML file's folder. Unknown keys, unknown values and missing
/// files stop the run before anything is written, naming the file and line.
/// </summary>
internal static class EtlConfigFile
{
    static readonly string[] SourceKeys = ["format", "annotations", "images"];

    public static PrepareSettings Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such config file", path);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(File.ReadAllText(path)));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{path}: line {e.Start.Line}, column {e.Start.Column}: {(e.InnerException ?? e).Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root || root.Children.Count == 0)
            throw new InvalidDataException($"{path}: the config is empty");

        var file = new FileSource(path);
        string? output = null;
        List<EtlSource>? sources = null;
        var settings = new List<(Setting<PrepareSettings> Setting, string Value, At At)>();
        foreach (var (keyNode, valueNode) in root.Children)
        {
            string key = file.Scalar(keyNode, "a key");
            var at = file.Line(keyNode);
            switch (key)
            {
                case "output": output = at.Path(file.Scalar(valueNode, "output")); break;
                case "sources": sources = Sources(file, valueNode); break;
                default:
                    var setting = EtlSettings.Find(key) ?? throw at.Fail(key, $"is not a setting (output, sources, {string.Join(", ", EtlSettings.All.Select(s => s.Name))})");
                    settings.Add((setting, file.Scalar(valueNode, key), at));
                    break;
            }
        }
        if (sources is not { Count: > 0 }) throw new InvalidDataException($"{path}: \"sources\" needs at least one source");
        var prepared = EtlSettings.Start(sources, output ?? throw new InvalidDataException($"{path}: \"output\" is required"));
        foreach (var (setting, value, at) in settings) prepared = setting.Apply(prepared, value, at);
        return prepared;
    }

    static List<EtlSource> Sources(FileSource file, YamlNode node)
    {
        if (node is not YamlSequenceNode list) throw file.Line(node).Fail("sources", "must be a list of sources");
        var sources = new List<EtlSource>();
        foreach (var item in list.Children)
        {
            var at = file.Line(item);
            if (item is not YamlMappingNode source) throw at.Fail($"sources[{sources.Count}]", "must be a mapping with format, annotations and images");
            var values = new Dictionary<string, string>();
            foreach (var (key, value) in source.Children)
            {
                string name = file.Scalar(key, "a key");
                if (!SourceKeys.Contains(name)) throw file.Line(key).Fail($"sources[{sources.Count}].{name}", $"is not a source key ({string.Join(", ", SourceKeys)})");
                values[name] = file.Scalar(value, name);
            }
            string Required(string key) => values.TryGetValue(key, out var v) ? v : throw at.Fail($"sources[{sources.Count}].{key}", "is required");
            sources.Add(new EtlSource(ParseFormat(Required("format"), at), at.Path(Required("annotations")), at.Path(Required("images"))));
        }
        return sources;
    }

    public static SourceFormat ParseFormat(string value, ISettingSource from) => value switch
    {
        "llava" => SourceFormat.Llava,
        "jsonl" => SourceFormat.Jsonl,
        "aichallenger" => SourceFormat.AiChallenger,
        "coco" => SourceFormat.Coco,
        _ => throw from.Fail("format", $"must be llava, jsonl, aichallenger or coco, not '{value}'"),
    };

    /// <summary>The YAML file: errors name it and the line; paths are relative to its folder.</summary>
    sealed class FileSource(string path)
    {
        readonly string _folder = Path.GetDirectoryName(Path.GetFullPath(path))!;

        public At Line(YamlNode node) => new(path, _folder, node.Start.Line);

        public string Scalar(YamlNode node, string what) => node is YamlScalarNode { Value: { } value }
            ? value
            : throw new InvalidDataException($"{path}: line {node.Start.Line}: {what} must be a single value");
    }

    sealed record At(string File, string Folder, long Line) : ISettingSource
    {
        public Exception Fail(string setting, string complaint) => new InvalidDataException($"{File}: line {Line}: {setting} {complaint}");

        public string Path(string value) => System.IO.Path.GetFullPath(System.IO.Path.Combine(Folder, value));
    }
}
