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
    public void Write(RgbaImage image, Span<float> target)
    {
        var (height, width) = OutputSize(image.Height, image.Width);
        int plane = height * width;
        if (target.Length != 3 * plane) throw new ArgumentException($"{target.Length} values for a 3 x {height} x {width} output", nameof(target));
        var (part, top, left) = ResizeAndCrop(image);
        Span<float> red = target[..plane], green = target.Slice(plane, plane), blue = target.Slice(2 * plane, plane);
        if (part.Width != width || part.Height != height)
        {
            // A crop larger than the resized image: transformers pads with zero pixels before rescaling.
            red.Fill(_values[0]);
            green.Fill(_values[256]);
            blue.Fill(_values[512]);
        }
        ReadOnlySpan<float> r = _values.AsSpan(0, 256), g = _values.AsSpan(256, 256), b = _values.AsSpan(512, 256);
        var pixels = part.Pixels;
        for (int y = 0; y < part.Height; y++)
        {
            int from = y * part.Stride, to = (y + top) * width + left;
            for (int x = 0; x < part.Width; x++, from += 4, to++)
            {
                red[to] = r[pixels[from]];
                green[to] = g[pixels[from + 1]];
                blue[to] = b[pixels[from + 2]];
            }
        }
    }

    /// <summary>
    /// The resized and cropped 8-bit pixels (what Hugging Face's processor holds before rescaling),
    /// without the padding a larger crop adds: <c>top</c> and <c>left</c> place them in the output.
    /// </summary>
    public (RgbaImage Pixels, int Top, int Left) ResizeAndCrop(RgbaImage image)
    {
        var (height, width) = Config.ResizedSize(image.Height, image.Width);
        var window = new PixelWindow(0, 0, width, height);
        int top = 0, left = 0;
        if (Config.DoCenterCrop)
        {
            // Python's floor division: a crop larger than the image gives a negative offset, i.e. padding.
            int y = FloorHalf(height - Config.CropHeight), x = FloorHalf(width - Config.CropWidth);
            int y0 = Math.Max(y, 0), x0 = Math.Max(x, 0);
            window = new PixelWindow(x0, y0, Math.Min(x + Config.CropWidth, width) - x0, Math.Min(y + Config.CropHeight, height) - y0);
            top = y0 - y;
            left = x0 - x;
        }
        return (PilResize.Resize(image, width, height, Config.Resample, window), top, left);
    }

    static int FloorHalf(int n) => (int)Math.Floor(n / 2.0);
}
