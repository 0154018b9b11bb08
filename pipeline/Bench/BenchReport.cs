using System.Globalization;
using System.Text;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace Vlm.Pipeline.Bench;

/// <summary>The benchmark's output: a markdown table (<c>README.md</c>) and a bar chart of the ratios against their targets (<c>ratios.png</c>).</summary>
internal static class BenchReport
{
    public const string TableFile = "README.md", ChartFile = "ratios.png";

    public static void Write(string folder, IReadOnlyList<BenchRow> rows, string command, IEnumerable<string> machine, IEnumerable<string> notes)
    {
        Directory.CreateDirectory(folder);
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks").AppendLine();
        md.AppendLine($"Measured side by side in one run of `{command}` on {DateTime.UtcNow:yyyy-MM-dd}.").AppendLine();
        foreach (var line in machine) md.AppendLine($"- {line}");
        md.AppendLine().AppendLine($"![ratios against targets]({ChartFile})").AppendLine();
        md.AppendLine("| area | measure | ours | peer | peer's | ratio | target | met | note |");
        md.AppendLine("|---|---|---:|---|---:|---:|---:|---|---|");
        foreach (var r in rows)
            md.AppendLine($"| {r.Area} | {r.Measure} | {Number(r.Ours)} {r.Unit} | {r.Peer} | {Number(r.PeerValue)} | {r.Ratio:F2}x | {(r.Target is { } t ? $"≥ {t:F2}x" : "")} | {r.Met switch { true => "yes", false => "**no**", null => "" }} | {r.Note} |");
        md.AppendLine();
        foreach (var note in notes) md.AppendLine(note).AppendLine();
        File.WriteAllText(Path.Combine(folder, TableFile), md.ToString());
        Chart(Path.Combine(folder, ChartFile), rows.Where(r => r.PeerValue > 0).ToList());
    }

    static string Number(double value) => value switch
    {
        >= 1000 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("F1", CultureInfo.InvariantCulture),
        _ => value.ToString("F2", CultureInfo.InvariantCulture),
    };

    /// <summary>One bar per row: the ratio on a log scale from 0.01x to 100x (green met, red missed, blue no target), the target as a black tick.</summary>
    static void Chart(string path, IReadOnlyList<BenchRow> rows)
    {
        var model = new PlotModel { Title = "ours / peer (log scale); black tick = target", TitleFontSize = 13, Background = OxyColors.White };
        model.Axes.Add(new CategoryAxis
        {
            Position = AxisPosition.Left, StartPosition = 1, EndPosition = 0, // first row at the top, as in the table
            ItemsSource = rows.Select(r => { string label = $"{r.Area}: {r.Measure}"; return label.Length > 78 ? label[..77] + "…" : label; }).ToList(),
        });
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Bottom, Minimum = 0.01, Maximum = 100, MajorGridlineStyle = LineStyle.Solid, StringFormat = "0.##'x'" });
        var bars = new BarSeries { LabelFormatString = "{0:F2}x", BaseValue = 0.01 };
        var targets = new ScatterSeries { MarkerType = MarkerType.Custom, MarkerSize = 1, MarkerOutline = [new ScreenPoint(0, -11), new ScreenPoint(0, 11)], MarkerStroke = OxyColors.Black, MarkerStrokeThickness = 2 };
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            bars.Items.Add(new BarItem(Math.Clamp(r.Ratio, 0.01, 100))
            {
                Color = r.Met switch { true => OxyColor.FromRgb(60, 150, 90), false => OxyColor.FromRgb(200, 70, 60), null => OxyColor.FromRgb(90, 120, 200) },
            });
            if (r.Target is { } t) targets.Points.Add(new ScatterPoint(t, i));
        }
        model.Series.Add(bars);
        model.Series.Add(targets);
        Cli.PlotPng.Save(model, path, 1170, 80 + rows.Count * 30);
    }
}
