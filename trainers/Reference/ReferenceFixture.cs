using System.Text.Json;
using Vlm.Trainers.Checkpoints;

namespace Vlm.Trainers.Reference;

/// <summary>
/// One reference fixture folder: <c>fixture.json</c> naming a checkpoint (and adapter), the inputs fed
/// to Hugging Face's code and what it returned, with a tolerance per output.
/// </summary>
internal sealed record ReferenceFixture(string Folder, string Kind, string? Checkpoint, string? Adapter, string Inputs, string Outputs,
    IReadOnlyDictionary<string, double> Tolerance, IReadOnlyList<string> Images, string? Call)
{
    public const string FileName = "fixture.json";
    /// <summary>The kinds this project checks besides the language-model families' own (their <c>model_type</c>). A fixture of another kind (a family not implemented yet) is reported as skipped, not failed.</summary>
    static readonly string[] OtherKinds = ["clip-vision", "siglip-vision", "llava", "lora", "image-processor"];

    public static IEnumerable<string> Kinds => Models.Text.TextFamilies.ModelTypes.Concat(OtherKinds);

    /// <summary>Whether the kind is a language model's, checked through its family.</summary>
    public bool IsLanguageModel => Models.Text.TextFamilies.Find(Kind) is not null;

    public bool IsImplemented => IsLanguageModel || OtherKinds.Contains(Kind);

    public static bool IsFixture(string folder) => File.Exists(Path.Combine(folder, FileName));

    public static ReferenceFixture Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no {FileName}; not a reference fixture folder", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            string kind = String(root, "kind") ?? throw new CheckpointFormatException(path, null, "\"kind\" is missing");
            var tolerance = new Dictionary<string, double>(StringComparer.Ordinal);
            if (root.TryGetProperty("tolerance", out var t) && t.ValueKind == JsonValueKind.Object)
                foreach (var entry in t.EnumerateObject()) tolerance[entry.Name] = entry.Value.GetDouble();
            var images = root.TryGetProperty("images", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(i => i.GetString() ?? throw new CheckpointFormatException(path, null, "an image name is null")).ToList()
                : [];
            return new ReferenceFixture(folder, kind, Relative(folder, String(root, "checkpoint")), Relative(folder, String(root, "adapter")),
                Relative(folder, String(root, "inputs") ?? "inputs.safetensors")!, Relative(folder, String(root, "outputs") ?? "outputs.safetensors")!,
                tolerance, images, String(root, "call"));
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, $"not valid JSON ({e.Message})");
        }
    }

    /// <summary>The tolerance of <paramref name="output"/>: its own, else the 1e-4 for floating outputs and exact equality for ids.</summary>
    public double ToleranceOf(string output) => Tolerance.TryGetValue(output, out double t) ? t : output == "generated_ids" ? 0 : 1e-4;

    static string? String(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static string? Relative(string folder, string? path) => path is null ? null : Path.GetFullPath(Path.Combine(folder, path));
}
