using System.Text.Json;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;
using Vlm.Pipeline.Cli;
using Vlm.Transforms.Evaluation;

namespace Vlm.Pipeline.Evaluation;

/// <summary>The report's charts, drawn with OxyPlot on SkiaSharp (PNG).</summary>
internal static class EvalCharts
{
    public static void Metrics(string path, IReadOnlyList<(string Name, double Value)> metrics, EvaluationTask task)
    {
        var model = new PlotModel { Title = $"{task.ToString().ToLowerInvariant()} metrics", Background = OxyColors.White };
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, ItemsSource = metrics.Select(m => m.Name).ToList() });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Minimum = 0, MaximumPadding = 0.15 });
        var bars = new BarSeries { LabelFormatString = "{0:0.0000}", FillColor = OxyColor.FromRgb(0x4C, 0x72, 0xB0) };
        foreach (var (_, value) in metrics) bars.Items.Add(new BarItem(value));
        model.Series.Add(bars);
        PlotPng.Save(model, path, 720, 80 + 48 * metrics.Count);
    }

    /// <summary>Training and validation loss against steps from a trainer_state.json; false when it holds no log.</summary>
    public static bool Loss(string path, string trainerState)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(trainerState));
        var root = doc.RootElement;
        var train = Points(root, "log");
        var eval = Points(root, "eval_log");
        if (train.Count == 0) return false;
        var model = new PlotModel { Title = "loss", Background = OxyColors.White };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "step" });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "loss" });
        model.Legends.Add(new OxyPlot.Legends.Legend { LegendPosition = OxyPlot.Legends.LegendPosition.TopRight });
        var trainLine = new LineSeries { Title = "training", Color = OxyColor.FromRgb(0x4C, 0x72, 0xB0) };
        trainLine.Points.AddRange(train);
        model.Series.Add(trainLine);
        if (eval.Count > 0)
        {
            var evalLine = new LineSeries { Title = "validation", Color = OxyColor.FromRgb(0xDD, 0x84, 0x52), MarkerType = MarkerType.Circle };
            evalLine.Points.AddRange(eval);
            model.Series.Add(evalLine);
        }
        PlotPng.Save(model, path, 720, 420);
        return true;
    }

    static List<DataPoint> Points(JsonElement root, string key) =>
        root.TryGetProperty(key, out var log) && log.ValueKind == JsonValueKind.Array
            ? [.. log.EnumerateArray().Select(e => new DataPoint(e.GetProperty("step").GetDouble(), e.GetProperty("loss").GetDouble()))]
            : [];
}
