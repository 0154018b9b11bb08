using System.Diagnostics;
using SkiaSharp;
using Vlm.Trainers.Models.Vision;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// Images per second through the tower's preprocessing (decode, resize, normalise) at CLIP-224 and
/// SigLIP-384, against decoding alone with the same decoder (SkiaSharp) on
/// the same JPEGs: decoding is the floor no preprocessing can beat.
/// </summary>
internal static class ImageBench
{
    public static IEnumerable<BenchRow> Run(string work, int count, Action<string> log)
    {
        var files = WriteJpegs(Path.Combine(work, "jpeg"), count);
        double decode = Rate(files, paths =>
        {
            foreach (var p in paths) using (SKBitmap.Decode(p)) { }
        });
        log($"images     decode only: {decode:F0} images/s ({count} JPEGs, 640x480)");
        var rows = new List<BenchRow>();
        foreach (var (name, tower) in new[]
        {
            ("CLIP-224", new VisionConfig { Kind = VisionKind.Clip, ImageSize = 224, PatchSize = 14 }),
            ("SigLIP-384", new VisionConfig { Kind = VisionKind.Siglip, ImageSize = 384, PatchSize = 14 }),
        })
        {
            var preprocessor = VlmProcessor.ForImages(tower.ImageProcessor(towerFolder: null));
            Trainers.Runtime.AllocatorTuning.Apply(); // as the trainer does before its first batch
            double rate = Rate(files, paths =>
            {
                // The trainer's batches: 16 images per call, into a tensor freed after its step.
                for (int i = 0; i < paths.Count; i += 16) preprocessor.Pixels([.. paths.Skip(i).Take(16)]).Dispose();
            });
            log($"images     {name}: {rate:F0} images/s");
            rows.Add(new BenchRow("images", $"decode+resize+normalise {name} vs decode only", "images/s", rate, "decode only (SkiaSharp)", decode, 0.7));
        }
        return rows;
    }

    static double Rate(IReadOnlyList<string> files, Action<IReadOnlyList<string>> work)
    {
        work([.. files.Take(8)]); // warm up
        var clock = Stopwatch.StartNew();
        work(files);
        return files.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>COCO-sized photos stand-ins: gradients, shapes and noise, so that decoding does real work.</summary>
    internal static IReadOnlyList<string> WriteJpegs(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(3);
        var files = new List<string>();
        for (int i = 0; i < count; i++)
        {
            using var bitmap = new SKBitmap(640, 480);
            using (var canvas = new SKCanvas(bitmap))
            {
                using var gradient = new SKPaint { Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(640, 480),
                    [new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256))], SKShaderTileMode.Clamp) };
                canvas.DrawRect(0, 0, 640, 480, gradient);
                using var paint = new SKPaint { IsAntialias = true };
                for (int s = 0; s < 40; s++)
                {
                    paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), 200);
                    canvas.DrawCircle(random.Next(640), random.Next(480), random.Next(5, 80), paint);
                }
            }
            var pixels = bitmap.Pixels;
            for (int p = 0; p < pixels.Length; p += 3) pixels[p] = pixels[p].WithRed((byte)Math.Clamp(pixels[p].Red + random.Next(-20, 21), 0, 255));
            bitmap.Pixels = pixels;
            string path = Path.Combine(folder, $"photo_{i:D4}.jpg");
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(path, data.ToArray());
            files.Add(path);
        }
        return files;
    }
}
