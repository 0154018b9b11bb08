using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vlm.Datasets.Images;

/// <summary>
/// Pillow's <c>Image.resize</c> for 8-bit images with a convolution filter (<c>ImagingResample</c>),
/// value for value: a horizontal pass into a byte image, then a vertical pass, each skipped when
/// its size does not change, each output value rounded from a 32-bit fixed-point sum
/// (<see cref="ResampleAxis"/>). Only a window of the result may be asked for (a centre crop):
/// every output value depends on its own weights alone, so the window equals the same pixels of the
/// whole resize while the columns and rows outside it are never computed.
/// </summary>
public static class PilResize
{
    /// <summary>The whole image resized to <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static RgbaImage Resize(RgbaImage source, int width, int height, ResampleFilter filter) =>
        Resize(source, width, height, filter, new PixelWindow(0, 0, width, height));

    /// <summary>The <paramref name="window"/> (inside the <paramref name="width"/> x <paramref name="height"/> result) of the resized image.</summary>
    public static RgbaImage Resize(RgbaImage source, int width, int height, ResampleFilter filter, PixelWindow window, bool vectorised = true)
    {
        if (window.X < 0 || window.Y < 0 || window.Width <= 0 || window.Height <= 0 || window.X + window.Width > width || window.Y + window.Height > height)
            throw new ArgumentOutOfRangeException(nameof(window), $"window {window} is not inside {width} x {height}");
        if (filter == ResampleFilter.Nearest && (width != source.Width || height != source.Height))
            throw new NotSupportedException("resample 0 (nearest) is not implemented: Pillow computes it by an affine transform, not by these filters");
        bool simd = vectorised && Sse41.IsSupported;
        var vertical = height != source.Height ? ResampleAxis.Create(source.Height, height, filter) : null;
        var horizontal = width != source.Width ? ResampleAxis.Create(source.Width, width, filter) : null;

        // The source rows the window's vertical pass reads (first and last positions only grow along an axis).
        int last = window.Y + window.Height - 1;
        int rowFirst = vertical?.First[window.Y] ?? window.Y;
        int rowEnd = vertical is null ? last + 1 : vertical.First[last] + vertical.Count[last];

        // Horizontal pass: the window's columns of every needed row, as a byte image.
        var middle = new RgbaImage(window.Width, rowEnd - rowFirst, new byte[window.Width * (rowEnd - rowFirst) * 4]);
        for (int r = 0; r < middle.Height; r++)
        {
            var from = source.Pixels.AsSpan((rowFirst + r) * source.Stride, source.Stride);
            var to = middle.Pixels.AsSpan(r * middle.Stride, middle.Stride);
            if (horizontal is null) from.Slice(window.X * 4, window.Width * 4).CopyTo(to);
            else
                for (int x = 0; x < window.Width; x++)
                {
                    int xx = window.X + x;
                    Convolve(from, horizontal.First[xx] * 4, 4, horizontal.Weights.AsSpan(xx * horizontal.Taps, horizontal.Count[xx]), to.Slice(x * 4, 4), simd);
                }
        }
        if (vertical is null) return middle;

        // Vertical pass over the middle image, whose row 0 is source row rowFirst.
        var result = new RgbaImage(window.Width, window.Height, new byte[window.Width * window.Height * 4]);
        for (int y = 0; y < window.Height; y++)
        {
            int yy = window.Y + y, top = vertical.First[yy] - rowFirst, taps = vertical.Count[yy];
            var rows = middle.Pixels.AsSpan(top * middle.Stride, taps * middle.Stride);
            var weights = vertical.Weights.AsSpan(yy * vertical.Taps, taps);
            var to = result.Pixels.AsSpan(y * result.Stride, result.Stride);
            for (int x = 0; x < window.Width; x++) Convolve(rows, x * 4, middle.Stride, weights, to.Slice(x * 4, 4), simd);
        }
        return result;
    }

    /// <summary>
    /// One output pixel: its four channels from <c>weights.Length</c> source pixels starting at byte
    /// <paramref name="start"/>, <paramref name="step"/> bytes apart (4 along a row, the stride down a column).
    /// </summary>
    static unsafe void Convolve(ReadOnlySpan<byte> source, int start, int step, ReadOnlySpan<int> weights, Span<byte> pixel, bool simd)
    {
        if (weights.Length == 0) throw new InvalidOperationException("a resample position without source pixels");
        int end = start + (weights.Length - 1) * step + 4;
        if (end > source.Length) throw new IndexOutOfRangeException($"resample taps read to byte {end} of {source.Length}");
        if (simd)
        {
            fixed (byte* s = source)
            fixed (int* w = weights)
            {
                // Four channels in four int lanes: widen, multiply by the weight, add (Pillow's ss0..ss3 side by side).
                var sum = Vector128.Create(ResampleAxis.Half);
                byte* p = s + start;
                for (int t = 0; t < weights.Length; t++, p += step)
                    sum = Sse2.Add(sum, Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p), Vector128.Create(w[t])));
                // clip8: arithmetic shift, then saturate to 0..255 through int16.
                var words = Sse2.PackSignedSaturate(Sse2.ShiftRightArithmetic(sum, ResampleAxis.PrecisionBits), Vector128<int>.Zero);
                uint packed = Sse2.PackUnsignedSaturate(words, words).AsUInt32().ToScalar();
                fixed (byte* o = pixel) *(uint*)o = packed;
            }
            return;
        }
        for (int c = 0; c < 4; c++)
        {
            int sum = ResampleAxis.Half;
            for (int t = 0; t < weights.Length; t++) sum += source[start + t * step + c] * weights[t];
            pixel[c] = ResampleAxis.Clip8(sum);
        }
    }
}

/// <summary>A rectangle of pixels: its top-left corner and size.</summary>
public readonly record struct PixelWindow(int X, int Y, int Width, int Height)
{
    public override string ToString() => $"({X}, {Y}) {Width} x {Height}";
}
