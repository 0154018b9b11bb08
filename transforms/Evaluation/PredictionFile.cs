using System.Text;
using System.Text.Json;

namespace Vlm.Transforms.Evaluation;

/// <summary>One prediction to score: its id, the model's answer, the references (captions, or VQA's ten human answers in order), and optionally the image.</summary>
public sealed record Prediction(string Id, string Text, IReadOnlyList<string> References, string? Image = null);

/// <summary>
/// Predictions as JSONL, one object per line: <c>id</c> (string or number), <c>prediction</c>,
/// <c>references</c> (array of strings), optional <c>image</c>; blank lines skipped. Errors name the
/// file, the line and the reason; a repeated id is an error (it would be scored twice).
/// </summary>
public static class PredictionFile
{
    public static IReadOnlyList<Prediction> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such predictions file", path);
        var predictions = new List<Prediction>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int number = 0;
        foreach (var line in File.ReadLines(path, new UTF8Encoding(false, throwOnInvalidBytes: true)))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            InvalidDataException Bad(string why) => new($"{path}: line {number}: {why}");
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(line);
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw Bad($"not valid JSON ({e.Message})");
            }
            if (root.ValueKind != JsonValueKind.Object) throw Bad("not a JSON object");
            string id = root.TryGetProperty("id", out var idValue) ? idValue.ValueKind switch
            {
                JsonValueKind.String => idValue.GetString()!,
                JsonValueKind.Number => idValue.GetRawText(),
                _ => throw Bad("\"id\" must be a string or a number"),
            } : throw Bad("no \"id\"");
            if (!ids.Add(id)) throw Bad($"id {id} appears twice");
            string text = root.TryGetProperty("prediction", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : throw Bad("\"prediction\" must be a string");
            if (!root.TryGetProperty("references", out var refs) || refs.ValueKind != JsonValueKind.Array || refs.GetArrayLength() == 0)
                throw Bad("\"references\" must be a non-empty array of strings");
            var references = new List<string>();
            foreach (var r in refs.EnumerateArray())
                references.Add(r.ValueKind == JsonValueKind.String ? r.GetString()! : throw Bad("\"references\" must be a non-empty array of strings"));
            string? image = root.TryGetProperty("image", out var img) && img.ValueKind == JsonValueKind.String ? img.GetString() : null;
            predictions.Add(new Prediction(id, text, references, image));
        }
        if (predictions.Count == 0) throw new InvalidDataException($"{path}: no predictions");
        return predictions;
    }
}
