using SkiaSharp;

namespace Vlm.Datasets.Images;

/// <summary>
/// Encoded images (PNG, JPEG, GIF, BMP, WebP) to <see cref="RgbaImage"/> with SkiaSharp (libpng,
/// libjpeg-turbo). The one decoder of the project: the ETL's image check, training, prediction, chat
/// and serve all decode here. The colours are PIL's <c>convert("RGB")</c>: straight (not
/// premultiplied) values, no colour-profile conversion, no EXIF rotation, alpha ignored later; for
/// these formats libpng and libjpeg-turbo give PIL's bytes (the processor fixtures check it).
/// </summary>
public static class ImageDecoder
{
    /// <summary>
    /// The largest image decoded, in pixels: Pillow's <c>MAX_IMAGE_PIXELS</c> (about 9459 x 9459, 358 MB
    /// as RGBA). The size is read from the header before any pixel memory is taken, so a small file
    /// that claims 100000 x 100000 pixels (a decompression bomb) is refused at once.
    /// </summary>
    public const long DefaultMaxPixels = 89_478_485;

    public static RgbaImage Decode(string path, long maxPixels = DefaultMaxPixels)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image file", path);
        return Decode(File.ReadAllBytes(path), path, maxPixels);
    }

    /// <summary>One encoded image held in memory; <paramref name="name"/> goes into errors.</summary>
    public static RgbaImage Decode(byte[] encoded, string name, long maxPixels = DefaultMaxPixels)
    {
        byte[]? exact = null;
        var pixels = DecodeInto(Codec(encoded, name), name, ref exact, exactSize: true, maxPixels);
        return new RgbaImage(pixels.Width, pixels.Height, pixels.Buffer);
    }

    /// <summary>An image file decoded into <paramref name="buffer"/> (grown when too small): SkiaSharp reads the file itself, no managed copy.</summary>
    internal static RgbaPixels DecodeInto(string path, ref byte[]? buffer, long maxPixels = DefaultMaxPixels)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image file", path);
        return DecodeInto(SKCodec.Create(path) ?? throw Unreadable(path, "not a PNG, JPEG, GIF, BMP or WebP"), path, ref buffer, exactSize: false, maxPixels);
    }

    /// <summary>Encoded bytes decoded into <paramref name="buffer"/> (grown when too small).</summary>
    internal static RgbaPixels DecodeInto(byte[] encoded, string name, ref byte[]? buffer, long maxPixels = DefaultMaxPixels) =>
        DecodeInto(Codec(encoded, name), name, ref buffer, exactSize: false, maxPixels);

    /// <summary>The image's width and height from its header alone (no pixels decoded).</summary>
    public static (int Width, int Height) ReadSize(byte[] encoded, string name)
    {
        using var codec = Codec(encoded, name);
        return (codec.Info.Width, codec.Info.Height);
    }

    static SKCodec Codec(byte[] encoded, string name)
    {
        // SKBitmap.Decode(byte[]) throws ArgumentNullException when no codec recognises the bytes; asking for the codec first says so plainly.
        // The codec owns the stream once it exists, so the bytes live as long as it does.
        var stream = new SKMemoryStream(encoded);
        var codec = SKCodec.Create(stream);
        if (codec is null)
        {
            stream.Dispose();
            throw Unreadable(name, "not a PNG, JPEG, GIF, BMP or WebP");
        }
        return codec;
    }

    static unsafe RgbaPixels DecodeInto(SKCodec codec, string name, ref byte[]? buffer, bool exactSize, long maxPixels)
    {
        using (codec)
        {
            int width = codec.Info.Width, height = codec.Info.Height;
            if (width <= 0 || height <= 0) throw Unreadable(name, $"it has {width} x {height} pixels");
            long pixelCount = (long)width * height;
            if (pixelCount > maxPixels || pixelCount * 4 > Array.MaxLength) throw new ImageTooLargeException(name, width, height, maxPixels);
            int length = width * height * 4;
            // The decoder writes every byte (or fails), so the buffer is not zeroed first.
            var pixels = exactSize ? GC.AllocateUninitializedArray<byte>(length) : ScratchBuffer.AtLeast(ref buffer, length);
            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            SKCodecResult result;
            fixed (byte* p = pixels) result = codec.GetPixels(info, (IntPtr)p);
            // PIL refuses a truncated file too (LOAD_TRUNCATED_IMAGES is off by default); half an image is not a training example.
            if (result != SKCodecResult.Success) throw Unreadable(name, result == SKCodecResult.IncompleteInput ? "truncated" : $"the decoder says {result}");
            return new RgbaPixels(pixels, width, height);
        }
    }

    static InvalidDataException Unreadable(string name, string why) => new($"{name}: the image cannot be read ({why})");
}

/// <summary>An image whose header claims more pixels than the budget; refused before decoding.</summary>
public sealed class ImageTooLargeException(string name, int width, int height, long maxPixels)
    : Exception($"{name}: the image is {width} x {height} pixels, over the budget of {maxPixels} pixels")
{
    public long Pixels => (long)width * height;
}
