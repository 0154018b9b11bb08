using System.Runtime.CompilerServices;

namespace Vlm.Datasets.Images;

/// <summary>
/// A Hugging Face image processor (<see cref="ImageProcessorConfig"/>) applied as transformers 4.45
/// applies it: resize with Pillow's filter on the 8-bit image (<see cref="PilResize"/>), centre crop
/// at <c>((H - h) // 2, (W - w) // 2)</c> with zero padding where the crop is larger, then in float32
/// <c>(float32(v * rescale_factor) - mean) / std</c> per channel, written as channel planes R, G, B.
/// The last step has 256 possible results per channel, so it is a table lookup computed with the
/// same float32 operations as numpy's.
/// </summary>
public sealed class ImageProcessor
{
    readonly float[] _values; // [3 * 256]: channel c, byte v -> its normalised value

    public ImageProcessor(ImageProcessorConfig config)
    {
        Config = config;
        _values = new float[3 * 256];
        for (int c = 0; c < 3; c++)
            for (int v = 0; v < 256; v++)
            {
                float x = config.DoRescale ? (float)(v * config.RescaleFactor) : v;
                _values[c * 256 + v] = config.DoNormalize ? (x - (float)config.ImageMean[c]) / (float)config.ImageStd[c] : x;
            }
    }

    public ImageProcessorConfig Config { get; }

    /// <summary>The output's height and width for an image of this size.</summary>
    public (int Height, int Width) OutputSize(int height, int width) =>
        Config.FixedOutputSize ?? Config.ResizedSize(height, width);

    /// <summary>The image as [3, H, W] values (see <see cref="OutputSize"/>).</summary>
    public float[] Process(RgbaImage image)
    {
        var (height, width) = OutputSize(image.Height, image.Width);
        var values = new float[3 * height * width];
        Write(image, values);
        return values;
    }

    /// <summary>Writes the image's [3, H, W] values into <paramref name="target"/>, which must be exactly that long.</summary>
    public void Write(RgbaImage image, Span<float> target) => Write(image.View, target);

    [ThreadStatic] static byte[]? t_decoded, t_resized;

    /// <summary>An image file's [3, H, W] values into <paramref name="target"/>, decoding and resizing in buffers reused by the calling thread.</summary>
    public void WriteFile(string path, Span<float> target) => Write(ImageDecoder.DecodeInto(path, ref t_decoded), target);

    /// <summary>An encoded image's [3, H, W] values into <paramref name="target"/>; <paramref name="name"/> goes into errors.</summary>
    public void WriteEncoded(byte[] encoded, string name, Span<float> target) => Write(ImageDecoder.DecodeInto(encoded, name, ref t_decoded), target);

    void Write(RgbaPixels image, Span<float> target)
    {
        var (height, width) = OutputSize(image.Height, image.Width);
        int plane = height * width;
        if (target.Length != 3 * plane) throw new ArgumentException($"{target.Length} values for a 3 x {height} x {width} output", nameof(target));
        var (window, top, left) = Crop(image.Height, image.Width);
        var (resizedHeight, resizedWidth) = Config.ResizedSize(image.Height, image.Width);
        var part = ScratchBuffer.AtLeast(ref t_resized, window.Width * window.Height * 4);
        PilResize.ResizeInto(image, resizedWidth, resizedHeight, Config.Resample, window, part);
        Span<float> red = target[..plane], green = target.Slice(plane, plane), blue = target.Slice(2 * plane, plane);
        if (window.Width != width || window.Height != height)
        {
            // A crop larger than the resized image: transformers pads with zero pixels before rescaling.
            red.Fill(_values[0]);
            green.Fill(_values[256]);
            blue.Fill(_values[512]);
        }
        Normalise(new RgbaPixels(part, window.Width, window.Height), top * width + left, width, red, green, blue);
    }

    /// <summary>Each pixel's three bytes through the channel tables into the planes, the part's row y at plane offset <c>start + y * width</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    unsafe void Normalise(RgbaPixels part, int start, int width, Span<float> red, Span<float> green, Span<float> blue)
    {
        fixed (byte* pixels = part.Buffer)
        fixed (float* table = _values, r = red, g = green, b = blue)
        {
            float* tr = table, tg = table + 256, tb = table + 512;
            for (int y = 0; y < part.Height; y++)
            {
                byte* p = pixels + (long)y * part.Stride;
                int to = start + y * width;
                for (int x = 0; x < part.Width; x++, p += 4)
                {
                    r[to + x] = tr[p[0]];
                    g[to + x] = tg[p[1]];
                    b[to + x] = tb[p[2]];
                }
            }
        }
    }

    /// <summary>
    /// The resized and cropped 8-bit pixels (what Hugging Face's processor holds before rescaling),
    /// without the padding a larger crop adds: <c>top</c> and <c>left</c> place them in the output.
    /// </summary>
    public (RgbaImage Pixels, int Top, int Left) ResizeAndCrop(RgbaImage image)
    {
        var (window, top, left) = Crop(image.Height, image.Width);
        var (height, width) = Config.ResizedSize(image.Height, image.Width);
        return (PilResize.Resize(image, width, height, Config.Resample, window), top, left);
    }

    /// <summary>The part of the resized image the output keeps, and where it goes in the output (non-zero when a larger crop pads).</summary>
    (PixelWindow Window, int Top, int Left) Crop(int imageHeight, int imageWidth)
    {
        var (height, width) = Config.ResizedSize(imageHeight, imageWidth);
        if (!Config.DoCenterCrop) return (new PixelWindow(0, 0, width, height), 0, 0);
        // Python's floor division: a crop larger than the image gives a negative offset, i.e. padding.
        int y = FloorHalf(height - Config.CropHeight), x = FloorHalf(width - Config.CropWidth);
        int y0 = Math.Max(y, 0), x0 = Math.Max(x, 0);
        var window = new PixelWindow(x0, y0, Math.Min(x + Config.CropWidth, width) - x0, Math.Min(y + Config.CropHeight, height) - y0);
        return (window, y0 - y, x0 - x);
    }

    static int FloorHalf(int n) => (int)Math.Floor(n / 2.0);
}
