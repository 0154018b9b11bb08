using System.Runtime.InteropServices;

namespace Vlm.Trainers.Runtime;

/// <summary>
/// Flush-to-zero and denormals-are-zero on the calling thread (x86-64 MXCSR) until disposed, when the
/// thread's previous setting comes back. Why: a trained model's attention puts many scores 87 to 103
/// below their row's largest, where exp gives denormal floats, and on x86 every operation that makes or
/// reads one takes a slow microcode path. In the demo the copies fell from ~39k to ~18-20k tokens/s
/// for whole stretches of a run (most of their time in libtorch's vectorised exp under flash
/// attention's backward pass); with denormals flushed, the same run held 34-39k, with the same losses
/// to 4 decimals (values under 1.2e-38 become 0; fp32 sums of probabilities cannot resolve them anyway).
/// Linux with glibc on x86-64 only: elsewhere it does nothing.
/// </summary>
internal sealed unsafe partial class DenormalsFlushed : IDisposable
{
    const uint FlushToZero = 0x8000, DenormalsAreZero = 0x40;
    // glibc's x86-64 fenv_t: 28 bytes of x87 state, then MXCSR.
    const int FenvBytes = 32, MxcsrOffset = 28;
    readonly uint? _before;

    DenormalsFlushed(uint? before) => _before = before;

    /// <summary>Flushes denormals on this thread until <see cref="Dispose"/>, which must run on the same thread.</summary>
    public static DenormalsFlushed OnThisThread()
    {
        var before = Mxcsr();
        if (before is { } bits) SetMxcsr(bits | FlushToZero | DenormalsAreZero);
        return new DenormalsFlushed(before);
    }

    /// <summary>Whether this thread flushes denormals now (false where the setting cannot be read).</summary>
    public static bool OnThisThreadNow => Mxcsr() is { } bits && (bits & (FlushToZero | DenormalsAreZero)) == (FlushToZero | DenormalsAreZero);

    public void Dispose()
    {
        if (_before is { } bits) SetMxcsr(bits);
    }

    static bool Supported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    static uint? Mxcsr()
    {
        if (!Supported) return null;
        byte* env = stackalloc byte[FenvBytes];
        try
        {
            return FeGetEnv(env) == 0 ? *(uint*)(env + MxcsrOffset) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // not glibc
        }
    }

    static void SetMxcsr(uint bits)
    {
        byte* env = stackalloc byte[FenvBytes];
        if (FeGetEnv(env) != 0) return;
        *(uint*)(env + MxcsrOffset) = bits;
        FeSetEnv(env);
    }

    [LibraryImport("libm.so.6", EntryPoint = "fegetenv")]
    private static partial int FeGetEnv(byte* env);

    [LibraryImport("libm.so.6", EntryPoint = "fesetenv")]
    private static partial int FeSetEnv(byte* env);
}
