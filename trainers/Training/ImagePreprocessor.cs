using System.Runtime.InteropServices;
using System.Text.Json;
using SkiaSharp;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Trainers.Training;

/// <summary>
/// Images to the tower's input: decode (SkiaSharp, the decoder under Microsoft.ML.ImageAnalytics),
/// resize (CLIP: shortest edge to the input size, then the centre square; SigLIP: squash to a
/// square) in one high-quality draw, then RGB planes scaled to [0, 1] and normalised per channel
/// with the processor's mean and std (<c>preprocessor_config.json</c> when the tower folder has
/// one; CLIP's or SigLIP's published values otherwise). Written on SkiaSharp directly because the
/// ImageAnalytics chain spent three times the decoding cost per image around it (vlm bench).
/// </summary>
internal sealed class ImagePreprocessor
{
    static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f], ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];
    static readonly float[] HalfMean = [0.5f, 0.5f, 0.5f], HalfStd = [0.5f, 0.5f, 0.5f];

    readonly bool _crop;
    readonly float[] _mean, _std;

    ImagePreprocessor(int size, bool crop, float[] mean, float[] std)
    {
        Size = size;
        _crop = crop;
        _mean = mean;
        _std = std;
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

    /// <summary>
    /// The processor a <c>preprocessor_config.json</c> describes on its own (no tower at hand):
    /// <c>SiglipImageProcessor</c> squashes to <c>size</c>; a CLIP processor resizes the shortest edge and crops <c>crop_size</c>, which must be equal.
    /// </summary>
    public static ImagePreprocessor FromProcessorConfig(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        string type = root.TryGetProperty("image_processor_type", out var t) ? t.GetString() ?? "" : "";
        bool siglip = type.Contains("Siglip", StringComparison.OrdinalIgnoreCase);
        static int Side(JsonElement root, string key, string side) =>
            root.TryGetProperty(key, out var v) ? v.ValueKind == JsonValueKind.Number ? v.GetInt32() : v.TryGetProperty(side, out var n) ? n.GetInt32() : -1 : -1;
        int size = siglip ? Side(root, "size", "height") : Side(root, "crop_size", "height");
        if (size <= 0) throw new InvalidDataException($"{path}: no {(siglip ? "size.height" : "crop_size.height")}");
        if (!siglip && Side(root, "size", "shortest_edge") is int edge && edge > 0 && edge != size)
            throw new NotSupportedException($"{path}: shortest_edge {edge} differs from crop_size {size}; the tower's preprocessing resizes to the crop size");
        var tower = new VisionConfig { Kind = siglip ? VisionKind.Siglip : VisionKind.Clip, ImageSize = size };
        return For(tower, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>The images as [N, 3, Size, Size] values, channel planes R, G, B, normalised.</summary>
    public float[] Pixels(IReadOnlyList<string> paths)
    {
        int plane = Size * Size, image = 3 * plane;
        var result = new float[paths.Count * image];
        for (int n = 0; n < paths.Count; n++) Write(paths[n], result.AsSpan(n * image, image));
        return result;
    }

    /// <summary>One encoded image (PNG, JPEG, ...) held in memory, as [1, 3, Size, Size] values; <paramref name="name"/> goes into errors.</summary>
    public float[] Pixels(byte[] encoded, string name)
    {
        // SKBitmap.Decode(byte[]) throws ArgumentNullException when no codec recognises the bytes; asking for the codec first says so plainly.
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw Unreadable(name);
        using var source = SKBitmap.Decode(codec) ?? throw Unreadable(name);
        var result = new float[3 * Size * Size];
        Write(source, result);
        return result;
    }

    void Write(string path, Span<float> target)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image file", path);
        using var source = SKBitmap.Decode(path) ?? throw Unreadable(path);
        Write(source, target);
    }

    static InvalidDataException Unreadable(string name) => new($"{name}: the image cannot be read (not a PNG, JPEG, GIF, BMP or WebP, or truncated)");

    void Write(SKBitmap source, Span<float> target)
    {
        using var resized = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(resized))
        using (var paint = new SKPaint { FilterQuality = SKFilterQuality.High, IsAntialias = false })
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawBitmap(source, SourceRect(source.Width, source.Height), new SKRect(0, 0, Size, Size), paint);
        }
        // One little-endian RGBA pixel per uint; separate plane spans let the JIT drop the bounds checks.
        var rgba = MemoryMarshal.Cast<byte, uint>(resized.GetPixelSpan());
        int plane = Size * Size;
        Span<float> red = target[..plane], green = target.Slice(plane, plane), blue = target.Slice(2 * plane, plane);
        // (v / 255 - mean) / std, as one multiply-add per value.
        float rs = 1f / (255f * _std[0]), gs = 1f / (255f * _std[1]), bs = 1f / (255f * _std[2]);
        float rm = _mean[0] / _std[0], gm = _mean[1] / _std[1], bm = _mean[2] / _std[2];
        for (int i = 0; i < rgba.Length; i++)
        {
            uint p = rgba[i];
            red[i] = (p & 0xFF) * rs - rm;
            green[i] = ((p >> 8) & 0xFF) * gs - gm;
            blue[i] = ((p >> 16) & 0xFF) * bs - bm;
        }
    }

    /// <summary>The part of the source that fills the output: its centre square for CLIP (resize the shortest edge, then crop), all of it for SigLIP.</summary>
    SKRect SourceRect(int width, int height)
    {
        if (!_crop) return new SKRect(0, 0, width, height);
        float side = Math.Min(width, height), left = (width - side) / 2f, top = (height - side) / 2f;
        return new SKRect(left, top, left + side, top + side);
    }
}
