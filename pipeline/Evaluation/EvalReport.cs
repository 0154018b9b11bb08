using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vlm.Datasets.IO;
using Vlm.Transforms.Evaluation;

namespace Vlm.Pipeline.Evaluation;

/// <summary>
/// What <c>vlm eval --out</c> writes: <c>predictions.jsonl</c> (id, image, prediction, references),
/// <c>metrics.json</c>, <c>metrics.png</c> (a bar per metric), <c>loss.png</c> (training and
/// validation loss against steps, when the model's training log is found) and <c>report.md</c> with
/// the table and the charts.
/// </summary>
internal static class EvalReport
{
    public const string ReportFile = "report.md", MetricsFile = "metrics.json", PredictionsFile = "predictions.jsonl";

    // Captions in Chinese (AI Challenger) stay readable in the predictions file.
    static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(string folder, IReadOnlyList<Prediction> predictions, IReadOnlyList<(string Name, double Value)> metrics,
        EvaluationTask task, CaptionTokenization tokenization, string? trainingLog)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.Write(Path.Combine(folder, PredictionsFile), stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            foreach (var p in predictions)
                writer.WriteLine(JsonSerializer.Serialize(new { id = p.Id, image = p.Image, prediction = p.Text, references = p.References }, Readable));
        });
        var json = new JsonObject
        {
            ["task"] = task.ToString().ToLowerInvariant(),
            ["tokenize"] = task == EvaluationTask.Caption ? tokenization.ToString().ToLowerInvariant() : null,
            ["count"] = predictions.Count,
            ["metrics"] = new JsonObject(metrics.Select(m => KeyValuePair.Create(m.Name, (JsonNode?)m.Value))),
        };
        AtomicFile.WriteAllText(Path.Combine(folder, MetricsFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        EvalCharts.Metrics(Path.Combine(folder, "metrics.png"), metrics, task);
        bool loss = trainingLog is not null && EvalCharts.Loss(Path.Combine(folder, "loss.png"), trainingLog);

        var report = new StringBuilder();
        report.AppendLine($"# Evaluation: {task.ToString().ToLowerInvariant()}").AppendLine();
        report.AppendLine($"{predictions.Count} predictions" + (task == EvaluationTask.Caption ? $", tokenized as {tokenization.ToString().ToLowerInvariant()}" : "") + ".").AppendLine();
        report.AppendLine("| metric | value |").AppendLine("|---|---:|");
        foreach (var (name, value) in metrics) report.AppendLine($"| {name} | {value.ToString("F4", CultureInfo.InvariantCulture)} |");
        report.AppendLine().AppendLine("![metrics](metrics.png)");
        if (loss) report.AppendLine().AppendLine("![training and validation loss](loss.png)");
        report.AppendLine().AppendLine("First predictions:").AppendLine().AppendLine("| id | prediction | references |").AppendLine("|---|---|---|");
        foreach (var p in predictions.Take(10))
            report.AppendLine($"| {Cell(p.Id)} | {Cell(p.Text)} | {Cell(string.Join(" / ", p.References.Take(3)))} |");
        AtomicFile.WriteAllText(Path.Combine(folder, ReportFile), report.ToString());
    }

    static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
