using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Trainers.Training;

/// <summary>
/// Images to the tower's input through Microsoft.ML.ImageAnalytics: load, resize (CLIP: cover then
/// centre crop; SigLIP: squash to a square), extract RGB planes scaled to [0, 1], then normalise
/// each channel with the processor's mean and std (<c>preprocessor_config.json</c> when the tower
/// folder has one; CLIP's or SigLIP's published values otherwise).
/// </summary>
internal sealed class ImagePreprocessor
{
    static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f], ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];
    static readonly float[] HalfMean = [0.5f, 0.5f, 0.5f], HalfStd = [0.5f, 0.5f, 0.5f];

    readonly MLContext _ml = new();
    readonly ITransformer _pipeline;
    readonly float[] _mean, _std;

    sealed class ImagePath
    {
        public string Path { get; set; } = "";
    }

    ImagePreprocessor(int size, bool crop, float[] mean, float[] std)
    {
        Size = size;
        _mean = mean;
        _std = std;
        var estimator = _ml.Transforms.LoadImages("image", imageFolder: null, inputColumnName: nameof(ImagePath.Path))
            .Append(_ml.Transforms.ResizeImages("resized", size, size, "image", crop ? ImageResizingEstimator.ResizingKind.IsoCrop : ImageResizingEstimator.ResizingKind.Fill,
                ImageResizingEstimator.Anchor.Center))
            .Append(_ml.Transforms.ExtractPixels("pixels", "resized", ImagePixelExtractingEstimator.ColorBits.Rgb,
                ImagePixelExtractingEstimator.ColorsOrder.ARGB, interleavePixelColors: false, scaleImage: 1f / 255f));
        _pipeline = estimator.Fit(_ml.Data.LoadFromEnumerable(Array.Empty<ImagePath>()));
    }

    public int Size { get; }

    public static ImagePreprocessor For(VisionConfig tower, string? towerFolder)
    {
        bool clip = tower.Kind == VisionKind.Clip;
        float[] mean = clip ? ClipMean : HalfMean, std = clip ? ClipStd : HalfStd;
        string? config = towerFolder is null ? null : Path.Combine(towerFolder, "preprocessor_config.json");
        if (config is not null && File.Exists(config))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(config));
            if (doc.RootElement.TryGetProperty("image_mean", out var m)) mean = [.. m.EnumerateArray().Select(v => v.GetSingle())];
            if (doc.RootElement.TryGetProperty("image_std", out var s)) std = [.. s.EnumerateArray().Select(v => v.GetSingle())];
            if (mean.Length != 3 || std.Length != 3) throw new InvalidDataException($"{config}: image_mean and image_std need three values each");
        }
        return new ImagePreprocessor(tower.ImageSize, clip, mean, std);
    }

    /// <summary>The images as [N, 3, Size, Size] values, channel planes R, G, B, normalised.</summary>
    public float[] Pixels(IReadOnlyList<string> paths)
    {
        var view = _pipeline.Transform(_ml.Data.LoadFromEnumerable(paths.Select(p => new ImagePath { Path = p })));
        int plane = Size * Size, image = 3 * plane;
        var result = new float[paths.Count * image];
        int n = 0;
        using var cursor = view.GetRowCursor([view.Schema["pixels"]]);
        var getter = cursor.GetGetter<VBuffer<float>>(view.Schema["pixels"]);
        VBuffer<float> pixels = default;
        while (true)
        {
            // A parallel cursor reports a decoding failure from MoveNext, a serial one from the getter.
            try
            {
                if (!cursor.MoveNext()) break;
                getter(ref pixels);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException)
            {
                throw new InvalidDataException($"{paths[n]}: the image cannot be read ({e.GetBaseException().Message})", e);
            }
            var values = pixels.GetValues();
            if (values.Length != image) throw new InvalidDataException($"{paths[n]}: expected {image} pixel values, got {values.Length}");
            var target = result.AsSpan(n * image, image);
            for (int c = 0; c < 3; c++)
            {
                float mean = _mean[c], scale = 1f / _std[c];
                var source = values.Slice(c * plane, plane);
                var destination = target.Slice(c * plane, plane);
                for (int i = 0; i < plane; i++) destination[i] = (source[i] - mean) * scale;
            }
            n++;
        }
        return result;
    }
}
