using System.Globalization;
using System.Text.Json;
using SkiaSharp;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Commands;

/// <summary><c>vlm eval</c>: scoring a predictions file, and answering data with a model then writing the report.</summary>
[Collection(TorchRandomCollection.Name)]
public class EvalCommandTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", "evaluation", name);

    static Dictionary<string, double> Printed(string output) => output.Split('\n').Where(l => l.Contains(": ", StringComparison.Ordinal) && !l.StartsWith("report", StringComparison.Ordinal))
        .ToDictionary(l => l[..l.IndexOf(": ", StringComparison.Ordinal)], l => double.Parse(l[(l.IndexOf(": ", StringComparison.Ordinal) + 2)..], CultureInfo.InvariantCulture));

    [Fact]
    public void A_predictions_file_prints_each_caption_metric_equal_to_pycocoevalcaps()
    {
        var set = File.ReadLines(Data("captions.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).Single(e => e.GetProperty("name").GetString() == "random 60");
        File.WriteAllLines(_root.File("preds.jsonl"), set.GetProperty("samples").EnumerateArray().Select((s, i) =>
            JsonSerializer.Serialize(new { id = i, prediction = s.GetProperty("prediction").GetString(), references = s.GetProperty("references") })));
        var (code, output, error) = CommandHarness.Run(new EvalCommand(), "--predictions", _root.File("preds.jsonl"), "--task", "caption");
        Assert.True(code == 0, output + error);
        var printed = Printed(output);
        var expected = JsonDocument.Parse(File.ReadAllText(Data("expected.json"))).RootElement.GetProperty("caption_sets").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "random 60");
        Assert.Equal(["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr"], printed.Keys);
        foreach (var (name, value) in printed) Assert.True(Math.Abs(expected.GetProperty(name).GetDouble() - value) <= 1e-9, name);
    }

    [Fact]
    public void Vqa_and_chinese_caption_predictions_are_scored_and_bad_lines_are_named()
    {
        File.WriteAllLines(_root.File("vqa.jsonl"), File.ReadLines(Data("vqa.jsonl")).Select((l, i) => l.Insert(1, $"\"id\": \"q{i}\", ")));
        var vqa = CommandHarness.Run(new EvalCommand(), "--predictions", _root.File("vqa.jsonl"), "--task", "vqa");
        Assert.True(vqa.Code == 0, vqa.Out + vqa.Err);
        double overall = JsonDocument.Parse(File.ReadAllText(Data("expected.json"))).RootElement.GetProperty("vqa").GetProperty("overall_percent_2dp").GetDouble();
        Assert.Equal(overall, Math.Round(100 * Printed(vqa.Out)["VQA"], 2));

        File.WriteAllText(_root.File("zh.jsonl"), """{"id": 1, "prediction": "一个红色的圆。", "references": ["红色的圆在中间", "一个圆"]}""" + "\n");
        var zh = CommandHarness.Run(new EvalCommand(), "--predictions", _root.File("zh.jsonl"), "--task", "caption", "--tokenize", "chars");
        Assert.True(zh.Code == 0, zh.Out + zh.Err);
        Assert.True(Printed(zh.Out)["BLEU-1"] > 0.5);

        File.WriteAllText(_root.File("bad.jsonl"), """{"id": 1, "prediction": "a", "references": ["a"]}""" + "\n" + """{"id": 2, "prediction": 3, "references": ["a"]}""" + "\n");
        var bad = CommandHarness.Run(new EvalCommand(), "--predictions", _root.File("bad.jsonl"), "--task", "caption");
        Assert.Equal(1, bad.Code);
        Assert.Contains("bad.jsonl: line 2: \"prediction\" must be a string", bad.Err);
    }

    [Fact]
    public void A_model_answers_the_samples_and_the_report_has_its_table_charts_and_predictions()
    {
        string model = TestModels.WriteModelFolder(_root.File("m"));
        Assert.Equal(0, CommandHarness.Run(new MakeSamplesCommand(), "--output", _root.File("samples"), "--count", "4").Code);
        var (code, output, error) = CommandHarness.Run(new EvalCommand(), "--weights", model, "--data", _root.File("samples/llava.json"), "--format", "llava",
            "--images", _root.File("samples/images"), "--task", "caption", "--max_new_tokens", "4", "--out", _root.File("eval"));
        Assert.True(code == 0, output + error);
        Assert.Equal(4, File.ReadAllLines(_root.File("eval/predictions.jsonl")).Length);
        var metrics = JsonDocument.Parse(File.ReadAllText(_root.File("eval/metrics.json"))).RootElement;
        Assert.Equal(4, metrics.GetProperty("count").GetInt32());
        Assert.Equal(Printed(output)["CIDEr"], metrics.GetProperty("metrics").GetProperty("CIDEr").GetDouble());
        string report = File.ReadAllText(_root.File("eval/report.md"));
        Assert.Contains("| BLEU-4 |", report);
        Assert.Contains("![metrics](metrics.png)", report);
        using var chart = SKBitmap.Decode(_root.File("eval/metrics.png"));
        Assert.True(chart.Width >= 700 && chart.Height > 100);
    }
}
