using OxyPlot;
using OxyPlot.SkiaSharp;

namespace Vlm.Pipeline.Cli;

/// <summary>An OxyPlot chart as a PNG file (the benchmark's and the evaluation report's charts).</summary>
internal static class PlotPng
{
    public static void Save(PlotModel model, string path, int width, int height)
    {
        // No text shaping: it would need HarfBuzz's native library, and these Latin labels do not need it.
        var exporter = new PngExporter { Width = width, Height = height, UseTextShaping = false };
        using var stream = File.Create(path);
        exporter.Export(model, stream);
    }
}
