using SkiaSharp;

namespace Vlm.Datasets.Images;

/// <summary>
/// Encoded images (PNG, JPEG, GIF, BMP, WebP) to <see cref="RgbaImage"/> with SkiaSharp, the decoder under
/// Microsoft.ML.ImageAnalytics. The colours are PIL's <c>convert("RGB")</c>: straight (not
/// premultiplied) values, no colour-profile conversion, no EXIF rotation, alpha ignored later; for
/// these formats libpng and libjpeg-turbo give PIL's bytes (the processor fixtures check it).
/// </summary>
public static class ImageDecoder
{
    public static RgbaImage Decode(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image file", path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>One encoded image held in memory; <paramref name="name"/> goes into errors.</summary>
    public static unsafe RgbaImage Decode(byte[] encoded, string name)
    {
        // SKBitmap.Decode(byte[]) throws ArgumentNullException when no codec recognises the bytes; asking for the codec first says so plainly.
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw Unreadable(name, "not a PNG, JPEG, GIF, BMP or WebP");
        int width = codec.Info.Width, height = codec.Info.Height;
        if (width <= 0 || height <= 0) throw Unreadable(name, $"it has {width} x {height} pixels");
        var pixels = new byte[checked(width * height * 4)];
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        SKCodecResult result;
        fixed (byte* p = pixels) result = codec.GetPixels(info, (IntPtr)p);
        // PIL refuses a truncated file too (LOAD_TRUNCATED_IMAGES is off by default); half an image is not a training example.
        if (result != SKCodecResult.Success) throw Unreadable(name, result == SKCodecResult.IncompleteInput ? "truncated" : $"the decoder says {result}");
        return new RgbaImage(width, height, pixels);
    }

    static InvalidDataException Unreadable(string name, string why) => new($"{name}: the image cannot be read ({why})");
}
