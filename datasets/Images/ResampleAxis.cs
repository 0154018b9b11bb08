namespace Vlm.Datasets.Images;

/// <summary>
/// The weights of one axis of a resize (Pillow's <c>precompute_coeffs</c> and
/// <c>normalize_coeffs_8bpc</c>): for each output position the first source position, the number
/// of taps and their weights, normalised to sum to one in double and then rounded half away from
/// zero to fixed point with <see cref="PrecisionBits"/> fraction bits. An output value is
/// <c>clamp((2^(P-1) + sum(weight * source)) &gt;&gt; P, 0, 255)</c> in 32-bit integers.
/// </summary>
internal sealed class ResampleAxis
{
    /// <summary>32 - 8 - 2: 8 bits for the result, 2 for the filters' negative lobes and overshoot.</summary>
    public const int PrecisionBits = 22;

    ResampleAxis(int inSize, int outSize, int taps, int[] first, int[] count, int[] weights)
    {
        InSize = inSize;
        OutSize = outSize;
        Taps = taps;
        First = first;
        Count = count;
        Weights = weights;
    }

    public int InSize { get; }
    public int OutSize { get; }

    /// <summary>Weights stored per output position (the row stride of <see cref="Weights"/>); the unused tail is zero.</summary>
    public int Taps { get; }

    public int[] First { get; }
    public int[] Count { get; }
    public int[] Weights { get; }

    public static ResampleAxis Create(int inSize, int outSize, ResampleFilter filter)
    {
        if (inSize <= 0 || outSize <= 0) throw new ArgumentOutOfRangeException(nameof(outSize), $"a resize from {inSize} to {outSize} pixels is empty");
        // Pillow passes the box as floats; for a whole-image box in1 - in0 is the exact integer size.
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = ResampleKernels.Support(filter) * filterScale;
        int taps = (int)Math.Ceiling(support) * 2 + 1;
        var first = new int[outSize];
        var count = new int[outSize];
        var weights = new int[outSize * taps];
        var k = new double[taps];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double sum = 0.0;
            for (int x = 0; x < xmax; x++)
            {
                k[x] = ResampleKernels.Weight(filter, (x + xmin - center + 0.5) * ss);
                sum += k[x];
            }
            for (int x = 0; x < xmax; x++)
            {
                double w = sum != 0.0 ? k[x] / sum : k[x];
                // C's (int) cast truncates toward zero, as C#'s does.
                weights[xx * taps + x] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
            }
            first[xx] = xmin;
            count[xx] = xmax;
        }
        return new ResampleAxis(inSize, outSize, taps, first, count, weights);
    }

    /// <summary>Pillow's <c>clip8</c>: the fixed-point sum to a byte, flooring (arithmetic shift) and clamping.</summary>
    public static byte Clip8(int sum) => (byte)Math.Clamp(sum >> PrecisionBits, 0, 255);

    public const int Half = 1 << (PrecisionBits - 1);
}
