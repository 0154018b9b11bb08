using System.Text.Json;
using Vlm.Datasets.Images;

namespace Vlm.Tests.Datasets.Images;

/// <summary>
/// The resize against Pillow's own results (<c>data/images/pillow-resize.jsonl</c>, made by
/// <c>tests/reference/images/make_expected.py</c> with Pillow 9.4): every filter, shrinking and
/// enlarging, one axis or both, byte for byte, at every SIMD level this processor has and without SIMD.
/// </summary>
public class PilResizeTests
{
    public sealed record Case(int Filter, int Width, int Height, int ToWidth, int ToHeight, byte[] Input, byte[] Expected)
    {
        public override string ToString() => $"{(ResampleFilter)Filter} {Width}x{Height} -> {ToWidth}x{ToHeight}";
    }

    static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static TheoryData<Case> Cases()
    {
        var data = new TheoryData<Case>();
        foreach (string line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "images", "pillow-resize.jsonl")))
            data.Add(JsonSerializer.Deserialize<Case>(line, Snake)!);
        return data;
    }

    static RgbaImage Rgba(byte[] rgb, int width, int height)
    {
        var pixels = new byte[width * height * 4];
        for (int i = 0; i < width * height; i++)
        {
            pixels[4 * i] = rgb[3 * i];
            pixels[4 * i + 1] = rgb[3 * i + 1];
            pixels[4 * i + 2] = rgb[3 * i + 2];
            pixels[4 * i + 3] = 255;
        }
        return new RgbaImage(width, height, pixels);
    }

    static byte[] Rgb(RgbaImage image) =>
        [.. Enumerable.Range(0, image.Width * image.Height).SelectMany(i => new[] { image.Pixels[4 * i], image.Pixels[4 * i + 1], image.Pixels[4 * i + 2] })];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resizing_gives_pillows_bytes(Case c)
    {
        var source = Rgba(c.Input, c.Width, c.Height);
        var window = new PixelWindow(0, 0, c.ToWidth, c.ToHeight);
        foreach (var level in SimdLevels.Supported)
        {
            var result = PilResize.Resize(source, c.ToWidth, c.ToHeight, (ResampleFilter)c.Filter, window, level);
            Assert.Equal((c.ToWidth, c.ToHeight), (result.Width, result.Height));
            Assert.Equal(c.Expected, Rgb(result));
        }
    }

    [Fact]
    public void A_window_equals_the_same_pixels_of_the_whole_resize()
    {
        var random = new Random(17);
        for (int n = 0; n < 60; n++)
        {
            int width = random.Next(1, 50), height = random.Next(1, 50), toWidth = random.Next(1, 60), toHeight = random.Next(1, 60);
            var pixels = new byte[width * height * 4];
            random.NextBytes(pixels);
            var source = new RgbaImage(width, height, pixels);
            var filter = (ResampleFilter)random.Next(1, 6);
            var whole = PilResize.Resize(source, toWidth, toHeight, filter);
            int x = random.Next(toWidth), y = random.Next(toHeight);
            var window = new PixelWindow(x, y, random.Next(1, toWidth - x + 1), random.Next(1, toHeight - y + 1));
            var part = PilResize.Resize(source, toWidth, toHeight, filter, window, SimdLevels.Supported.ElementAt(n % SimdLevels.Supported.Count()));
            for (int row = 0; row < window.Height; row++)
                Assert.Equal(whole.Pixels.AsSpan(((window.Y + row) * toWidth + window.X) * 4, window.Width * 4).ToArray(),
                    part.Pixels.AsSpan(row * window.Width * 4, window.Width * 4).ToArray());
        }
    }

    [Fact]
    public void Nearest_is_refused_rather_than_approximated_unless_nothing_is_resized()
    {
        var source = new RgbaImage(4, 3, new byte[48]);
        var e = Assert.Throws<NotSupportedException>(() => PilResize.Resize(source, 2, 3, ResampleFilter.Nearest));
        Assert.Contains("nearest", e.Message);
        Assert.Equal(source.Pixels, PilResize.Resize(source, 4, 3, ResampleFilter.Nearest).Pixels);
    }

    [Fact]
    public void A_window_outside_the_result_is_refused()
    {
        var source = new RgbaImage(4, 3, new byte[48]);
        Assert.Throws<ArgumentOutOfRangeException>(() => PilResize.Resize(source, 8, 6, ResampleFilter.Bicubic, new PixelWindow(5, 0, 4, 6)));
    }
}
