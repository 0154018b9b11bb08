using System.Globalization;
using System.Text;
using SkiaSharp;

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

    /// <summary>One bar per row: the ratio on a log scale from 0.01x to 100x, the target as a tick.</summary>
    static void Chart(string path, IReadOnlyList<BenchRow> rows)
    {
        const int labelWidth = 560, plotWidth = 520, rowHeight = 30, top = 40, width = labelWidth + plotWidth + 90;
        int height = top + rows.Count * rowHeight + 40;
        using var bitmap = new SKBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        string font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
        using var typeface = File.Exists(font) ? SKTypeface.FromFile(font) : SKTypeface.Default;
        using var text = new SKPaint { Color = SKColors.Black, TextSize = 13, IsAntialias = true, Typeface = typeface };
        using var grid = new SKPaint { Color = new SKColor(220, 220, 220), StrokeWidth = 1 };
        using var met = new SKPaint { Color = new SKColor(60, 150, 90) };
        using var missed = new SKPaint { Color = new SKColor(200, 70, 60) };
        using var neutral = new SKPaint { Color = new SKColor(90, 120, 200) };
        using var target = new SKPaint { Color = SKColors.Black, StrokeWidth = 2 };
        float X(double ratio) => labelWidth + (float)((Math.Log10(Math.Clamp(ratio, 0.01, 100)) + 2) / 4 * plotWidth);
        canvas.DrawText("ours / peer (log scale); black tick = target", labelWidth, 20, text);
        foreach (var tick in new[] { 0.01, 0.1, 1, 10, 100 })
        {
            canvas.DrawLine(X(tick), top - 6, X(tick), height - 30, grid);
            canvas.DrawText($"{tick:0.##}x", X(tick) - 12, height - 12, text);
        }
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            float y = top + i * rowHeight;
            string label = $"{r.Area}: {r.Measure}";
            if (label.Length > 78) label = label[..77] + "…";
            canvas.DrawText(label, 8, y + 18, text);
            canvas.DrawRect(X(0.01), y + 6, X(r.Ratio) - X(0.01), rowHeight - 12, r.Met switch { true => met, false => missed, null => neutral });
            canvas.DrawText($"{r.Ratio:F2}x", X(r.Ratio) + 6, y + 18, text);
            if (r.Target is { } t) canvas.DrawLine(X(t), y + 2, X(t), y + rowHeight - 2, target);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
