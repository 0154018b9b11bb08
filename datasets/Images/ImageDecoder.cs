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
    public static RgbaImage Decode(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image file", path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>One encoded image held in memory; <paramref name="name"/> goes into errors.</summary>
    public static RgbaImage Decode(byte[] encoded, string name)
    {
        byte[]? exact = null;
        var pixels = DecodeInto(Codec(encoded, name), name, ref exact, exactSize: true);
        return new RgbaImage(pixels.Width, pixels.Height, pixels.Buffer);
    }

    /// <summary>An image file decoded into <paramref name="buffer"/> (grown when too small): SkiaSharp reads the file itself, no managed copy.</summary>
    internal static RgbaPixels DecodeInto(string path, ref byte[]? buffer)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image file", path);
        return DecodeInto(SKCodec.Create(path) ?? throw Unreadable(path, "not a PNG, JPEG, GIF, BMP or WebP"), path, ref buffer, exactSize: false);
    }

    /// <summary>Encoded bytes decoded into <paramref name="buffer"/> (grown when too small).</summary>
    internal static RgbaPixels DecodeInto(byte[] encoded, string name, ref byte[]? buffer) => DecodeInto(Codec(encoded, name), name, ref buffer, exactSize: false);

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

    static unsafe RgbaPixels DecodeInto(SKCodec codec, string name, ref byte[]? buffer, bool exactSize)
    {
        using (codec)
        {
            int width = codec.Info.Width, height = codec.Info.Height;
            if (width <= 0 || height <= 0) throw Unreadable(name, $"it has {width} x {height} pixels");
            int length = checked(width * height * 4);
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
