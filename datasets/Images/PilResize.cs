using System.Runtime.CompilerServices;
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
/// <remarks>
/// The sums are Pillow's integer sums, so the SIMD paths give the same bytes as the scalar one
/// (tested at every level on every filter): a pixel's four channels sit in four int lanes, so
/// along a row SSE4.1, AVX2 and AVX-512 take one, two and four taps a step, and down a column 4, 8
/// and 16 values a step share one weight. The loops are compiled optimised at once
/// (<c>AggressiveOptimization</c>): a trainer's first batches would otherwise run them as tier-0 code.
/// </remarks>
public static class PilResize
{
    /// <summary>The whole image resized to <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static RgbaImage Resize(RgbaImage source, int width, int height, ResampleFilter filter) =>
        Resize(source, width, height, filter, new PixelWindow(0, 0, width, height));

    /// <summary>The <paramref name="window"/> (inside the <paramref name="width"/> x <paramref name="height"/> result) of the resized image.</summary>
    public static RgbaImage Resize(RgbaImage source, int width, int height, ResampleFilter filter, PixelWindow window) =>
        Resize(source, width, height, filter, window, null);

    /// <summary>As above with the SIMD instructions of <paramref name="level"/> and below (all give the same bytes; tests compare them).</summary>
    internal static RgbaImage Resize(RgbaImage source, int width, int height, ResampleFilter filter, PixelWindow window, SimdLevel? level)
    {
        var pixels = GC.AllocateUninitializedArray<byte>(window.Width * window.Height * 4);
        ResizeInto(source.View, width, height, filter, window, pixels, level);
        return new RgbaImage(window.Width, window.Height, pixels);
    }

    // Per thread, reused: the trainer's background decoder and a predictor may resize at the same time.
    [ThreadStatic] static byte[]? t_middle;
    [ThreadStatic] static int[]? t_sums;

    /// <summary>
    /// As <see cref="Resize(RgbaImage, int, int, ResampleFilter, PixelWindow)"/>, into the first
    /// <c>window.Width * window.Height * 4</c> bytes of <paramref name="target"/> (rows of <c>window.Width</c> pixels):
    /// a caller that resizes image after image reuses one buffer instead of allocating a large one each time.
    /// </summary>
    internal static void ResizeInto(RgbaPixels source, int width, int height, ResampleFilter filter, PixelWindow window, byte[] target, SimdLevel? level = null)
    {
        if (window.X < 0 || window.Y < 0 || window.Width <= 0 || window.Height <= 0 || window.X + window.Width > width || window.Y + window.Height > height)
            throw new ArgumentOutOfRangeException(nameof(window), $"window {window} is not inside {width} x {height}");
        if (target.Length < window.Width * window.Height * 4) throw new ArgumentException($"{target.Length} bytes for a {window} window", nameof(target));
        if (filter == ResampleFilter.Nearest && (width != source.Width || height != source.Height))
            throw new NotSupportedException("resample 0 (nearest) is not implemented: Pillow computes it by an affine transform, not by these filters");
        level ??= SimdLevels.Best;
        var vertical = height != source.Height ? ResampleAxis.Create(source.Height, height, filter) : null;
        var horizontal = width != source.Width ? ResampleAxis.Create(source.Width, width, filter) : null;

        // The source rows the window's vertical pass reads (first and last positions only grow along an axis).
        int last = window.Y + window.Height - 1;
        int rowFirst = vertical?.First[window.Y] ?? window.Y;
        int rowEnd = vertical is null ? last + 1 : vertical.First[last] + vertical.Count[last];
        int rowBytes = window.Width * 4, rows = rowEnd - rowFirst;

        // Horizontal pass: the window's columns of every needed row, straight into the target when there is no vertical pass.
        byte[] middle = vertical is null ? target : ScratchBuffer.AtLeast(ref t_middle, rowBytes * rows);
        if (horizontal is null)
            for (int r = 0; r < rows; r++)
                source.Buffer.AsSpan((rowFirst + r) * source.Stride + window.X * 4, rowBytes).CopyTo(middle.AsSpan(r * rowBytes));
        else Horizontal(source, rowFirst, rows, horizontal, window.X, window.Width, middle, level.Value);
        if (vertical is not null) Vertical(middle, rowBytes, rowFirst, vertical, window.Y, window.Height, target, level.Value);
    }

    /// <summary>Horizontal pass: row r of the target from source row <c>rowFirst + r</c>; column x from output column <c>x0 + x</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Horizontal(RgbaPixels from, int rowFirst, int rows, ResampleAxis axis, int x0, int width, byte[] to, SimdLevel level)
    {
        if (level == SimdLevel.None)
        {
            HorizontalScalar(from, rowFirst, rows, axis, x0, width, to);
            return;
        }
        // Every output pixel takes the same number of taps, a multiple of the taps one step holds (4, 2 or 1),
        // its own weights padded with zeros; a pixel whose padded taps would run past the row's end starts
        // earlier instead, its weights shifted right, so no read leaves the row.
        int step = level == SimdLevel.Avx512 ? 4 : level == SimdLevel.Avx2 ? 2 : 1;
        int maxCount = 0;
        for (int x = 0; x < width; x++) maxCount = Math.Max(maxCount, axis.Count[x0 + x]);
        int taps = (maxCount + step - 1) / step * step;
        if (taps > axis.InSize)
        {
            step = 1;
            taps = maxCount;
        }
        var start = new int[width];
        // Each tap's weight four times over, one per channel lane, so one load gives the weights of `step` taps.
        var lanes = new int[width * taps * 4];
        for (int x = 0; x < width; x++)
        {
            int xx = x0 + x, first = axis.First[xx];
            start[x] = Math.Min(first, axis.InSize - taps);
            for (int t = 0; t < axis.Count[xx]; t++)
                lanes.AsSpan((x * taps + first - start[x] + t) * 4, 4).Fill(axis.Weights[xx * axis.Taps + t]);
        }
        int stride = from.Stride, rowBytes = width * 4;
        fixed (byte* source = from.Buffer, target = to)
        fixed (int* weights = lanes, starts = start)
        {
            int r = 0;
            // Two rows at a time share each weight load.
            for (; r + 2 <= rows; r += 2)
                RowPair(source + (long)(rowFirst + r) * stride, stride, starts, weights, taps, step, width, (uint*)(target + (long)r * rowBytes), width);
            for (; r < rows; r++)
            {
                byte* row = source + (long)(rowFirst + r) * stride;
                uint* output = (uint*)(target + (long)r * rowBytes);
                for (int x = 0; x < width; x++) output[x] = Pack(Taps(row + starts[x] * 4, weights + x * taps * 4, taps, step));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void RowPair(byte* row, int stride, int* starts, int* weights, int taps, int step, int width, uint* output, int outputStride)
    {
        for (int x = 0; x < width; x++)
        {
            byte* p = row + starts[x] * 4;
            int* w = weights + x * taps * 4;
            Vector128<int> upper, lower;
            if (step == 4)
            {
                Vector512<int> a = Vector512<int>.Zero, b = Vector512<int>.Zero;
                for (int t = 0; t < taps; t += 4)
                {
                    var weight = Avx512F.LoadVector512(w + t * 4);
                    a = Avx512F.Add(a, Avx512F.MultiplyLow(Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(p + t * 4)), weight));
                    b = Avx512F.Add(b, Avx512F.MultiplyLow(Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(p + stride + t * 4)), weight));
                }
                upper = Fold(a);
                lower = Fold(b);
            }
            else if (step == 2)
            {
                Vector256<int> a = Vector256<int>.Zero, b = Vector256<int>.Zero;
                for (int t = 0; t < taps; t += 2)
                {
                    var weight = Avx.LoadVector256(w + t * 4);
                    a = Avx2.Add(a, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(p + t * 4), weight));
                    b = Avx2.Add(b, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(p + stride + t * 4), weight));
                }
                upper = Sse2.Add(a.GetLower(), a.GetUpper());
                lower = Sse2.Add(b.GetLower(), b.GetUpper());
            }
            else
            {
                upper = lower = Vector128<int>.Zero;
                for (int t = 0; t < taps; t++)
                {
                    var weight = Sse2.LoadVector128(w + t * 4);
                    upper = Sse2.Add(upper, Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p + t * 4), weight));
                    lower = Sse2.Add(lower, Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p + stride + t * 4), weight));
                }
            }
            var half = Vector128.Create(ResampleAxis.Half);
            output[x] = Pack(Sse2.Add(upper, half));
            output[outputStride + x] = Pack(Sse2.Add(lower, half));
        }
    }

    /// <summary>One pixel's four channel sums over <paramref name="taps"/> pixels along a row, <paramref name="step"/> taps per instruction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe Vector128<int> Taps(byte* p, int* w, int taps, int step)
    {
        var sum = Vector128.Create(ResampleAxis.Half);
        int t = 0;
        if (step == 4)
        {
            var four = Vector512<int>.Zero;
            for (; t < taps; t += 4)
                four = Avx512F.Add(four, Avx512F.MultiplyLow(Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(p + t * 4)), Avx512F.LoadVector512(w + t * 4)));
            return Sse2.Add(sum, Fold(four));
        }
        if (step == 2)
        {
            var two = Vector256<int>.Zero;
            for (; t < taps; t += 2)
                two = Avx2.Add(two, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(p + t * 4), Avx.LoadVector256(w + t * 4)));
            return Sse2.Add(sum, Sse2.Add(two.GetLower(), two.GetUpper()));
        }
        for (; t < taps; t++)
            sum = Sse2.Add(sum, Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p + t * 4), Sse2.LoadVector128(w + t * 4)));
        return sum;
    }

    /// <summary>Four taps' channel sums (16 lanes) to one pixel's four.</summary>
    static Vector128<int> Fold(Vector512<int> four) =>
        Sse2.Add(Sse2.Add(four.GetLower().GetLower(), four.GetLower().GetUpper()), Sse2.Add(four.GetUpper().GetLower(), four.GetUpper().GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void HorizontalScalar(RgbaPixels from, int rowFirst, int rows, ResampleAxis axis, int x0, int width, byte[] to)
    {
        fixed (byte* source = from.Buffer, target = to)
        fixed (int* weights = axis.Weights)
        {
            for (int r = 0; r < rows; r++)
            {
                byte* row = source + (long)(rowFirst + r) * from.Stride;
                uint* output = (uint*)(target + (long)r * width * 4);
                for (int x = 0; x < width; x++)
                    output[x] = Scalar(row + axis.First[x0 + x] * 4, 4, weights + (x0 + x) * axis.Taps, axis.Count[x0 + x]);
            }
        }
    }

    /// <summary>Vertical pass: output row y of the target (result row <c>y0 + y</c>) from the middle rows, whose row 0 is source row <paramref name="rowFirst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Vertical(byte[] from, int rowBytes, int rowFirst, ResampleAxis axis, int y0, int height, byte[] to, SimdLevel level)
    {
        var sums = level == SimdLevel.None ? [] : ScratchBuffer.AtLeast(ref t_sums, rowBytes);
        fixed (byte* source = from, target = to)
        fixed (int* weights = axis.Weights, acc = sums)
        {
            for (int y = 0; y < height; y++)
            {
                int yy = y0 + y, count = axis.Count[yy];
                byte* top = source + (long)(axis.First[yy] - rowFirst) * rowBytes;
                int* w = weights + yy * axis.Taps;
                byte* output = target + (long)y * rowBytes;
                if (level == SimdLevel.None)
                    for (int x = 0; x < rowBytes; x += 4) *(uint*)(output + x) = Scalar(top + x, rowBytes, w, count);
                else ColumnTaps(top, rowBytes, w, count, acc, output, level);
            }
        }
    }

    /// <summary>
    /// One output row: tap after tap, a source row widened and added into a row of int sums with
    /// the same weight for every value (16, 8 or 4 values a step), then the sums rounded into bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ColumnTaps(byte* top, int rowBytes, int* w, int count, int* acc, byte* output, SimdLevel level)
    {
        int i = 0;
        if (level >= SimdLevel.Avx512)
        {
            // 16 values a step, summed in a register down the column, then clip8 as a signed clamp at 0 and
            // an unsigned saturating narrow to bytes (vpmovusdb).
            var weights = stackalloc Vector512<int>[count];
            for (int t = 0; t < count; t++) weights[t] = Vector512.Create(w[t]);
            var half = Vector512.Create(ResampleAxis.Half);
            for (; i + 16 <= rowBytes; i += 16)
            {
                var sum = half;
                byte* p = top + i;
                for (int t = 0; t < count; t++, p += rowBytes)
                    sum = Avx512F.Add(sum, Avx512F.MultiplyLow(Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(p)), weights[t]));
                var clipped = Avx512F.Max(Avx512F.ShiftRightArithmetic(sum, ResampleAxis.PrecisionBits), Vector512<int>.Zero);
                Sse2.Store(output + i, Avx512F.ConvertToVector128ByteWithSaturation(clipped.AsUInt32()));
            }
        }
        int wide8 = level >= SimdLevel.Avx2 ? rowBytes & ~7 : i;
        new Span<int>(acc + i, rowBytes - i).Fill(ResampleAxis.Half);
        for (int t = 0; t < count; t++)
        {
            byte* p = top + (long)t * rowBytes;
            int j = i;
            if (level >= SimdLevel.Avx2)
            {
                var weight = Vector256.Create(w[t]);
                for (; j < wide8; j += 8)
                    Avx.Store(acc + j, Avx2.Add(Avx.LoadVector256(acc + j), Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(p + j), weight)));
            }
            var narrow = Vector128.Create(w[t]);
            for (; j < rowBytes; j += 4)
                Sse2.Store(acc + j, Sse2.Add(Sse2.LoadVector128(acc + j), Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p + j), narrow)));
        }
        for (; i < rowBytes; i += 4) *(uint*)(output + i) = Pack(Sse2.LoadVector128(acc + i));
    }

    /// <summary>clip8 on four lanes: arithmetic shift, then saturation to 0..255 through int16; the four bytes as one pixel.</summary>
    static uint Pack(Vector128<int> sum)
    {
        var words = Sse2.PackSignedSaturate(Sse2.ShiftRightArithmetic(sum, ResampleAxis.PrecisionBits), Vector128<int>.Zero);
        return Sse2.PackUnsignedSaturate(words, words).AsUInt32().ToScalar();
    }

    /// <summary>Pillow's loop as written: one channel at a time, <paramref name="count"/> taps <paramref name="step"/> bytes apart.</summary>
    static unsafe uint Scalar(byte* p, int step, int* w, int count)
    {
        uint pixel = 0;
        for (int c = 0; c < 4; c++)
        {
            int sum = ResampleAxis.Half;
            for (int t = 0; t < count; t++) sum += p[t * step + c] * w[t];
            pixel |= (uint)ResampleAxis.Clip8(sum) << (8 * c);
        }
        return pixel;
    }
}

/// <summary>A rectangle of pixels: its top-left corner and size.</summary>
public readonly record struct PixelWindow(int X, int Y, int Width, int Height)
{
    public override string ToString() => $"({X}, {Y}) {Width} x {Height}";
}
