namespace Vlm.Datasets.Images;

/// <summary>
/// Decoded pixels, 8 bits per channel, R G B A in memory order, rows top to bottom without padding
/// (<c>Pixels.Length == Width * Height * 4</c>). The fourth byte is carried along by the resize and ignored by everything after it.
/// </summary>
public sealed class RgbaImage
{
    public RgbaImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"an image of {width} x {height} pixels is empty");
        if (pixels.Length != (long)width * height * 4) throw new ArgumentException($"{pixels.Length} bytes for {width} x {height} RGBA pixels", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public int Stride => Width * 4;

    internal RgbaPixels View => new(Pixels, Width, Height);

    /// <summary>Channel <paramref name="channel"/> (0 red, 1 green, 2 blue) at column x, row y.</summary>
    public byte At(int x, int y, int channel) => Pixels[(y * Width + x) * 4 + channel];
}

/// <summary>
/// Pixels as <see cref="RgbaImage"/> lays them out, at the start of a buffer that may be longer: the
/// decode and resize buffers a processor reuses from image to image (a 640 x 480 image is 1.2 MB,
/// and allocating that per image cost a fifth of the decoding time).
/// </summary>
internal readonly record struct RgbaPixels(byte[] Buffer, int Width, int Height)
{
    public int Stride => Width * 4;
}
