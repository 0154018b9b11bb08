namespace Vlm.Datasets.Images;

/// <summary>
/// Pillow's resampling filters under the numbers Hugging Face's <c>preprocessor_config.json</c>
/// stores in <c>resample</c> (PIL's <c>Image.Resampling</c> values).
/// </summary>
public enum ResampleFilter
{
    Nearest = 0,
    Lanczos = 1,
    Bilinear = 2,
    Bicubic = 3,
    Box = 4,
    Hamming = 5,
}

/// <summary>
/// The filters' kernels and supports, as Pillow defines them (<c>libImaging/Resample.c</c>): the
/// same constants and the same float literals (Hamming's 0.54f and 0.46f), since one ulp in a
/// weight can move a pixel by one level after the fixed-point rounding.
/// </summary>
internal static class ResampleKernels
{
    public static double Support(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Box => 0.5,
        ResampleFilter.Bilinear or ResampleFilter.Hamming => 1.0,
        ResampleFilter.Bicubic => 2.0,
        ResampleFilter.Lanczos => 3.0,
        _ => throw new NotSupportedException($"resample {(int)filter} ({filter}) is not a convolution filter"),
    };

    public static double Weight(ResampleFilter filter, double x) => filter switch
    {
        ResampleFilter.Box => x > -0.5 && x <= 0.5 ? 1.0 : 0.0,
        ResampleFilter.Bilinear => Math.Abs(x) < 1.0 ? 1.0 - Math.Abs(x) : 0.0,
        ResampleFilter.Hamming => Hamming(Math.Abs(x)),
        ResampleFilter.Bicubic => Bicubic(Math.Abs(x)),
        ResampleFilter.Lanczos => -3.0 <= x && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0,
        _ => throw new NotSupportedException($"resample {(int)filter} ({filter}) is not a convolution filter"),
    };

    /// <summary>Keys' cubic convolution with a = -0.5.</summary>
    static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    static double Hamming(double x)
    {
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        return Math.Sin(x) / x * (0.54f + 0.46f * Math.Cos(x));
    }

    static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }
}
