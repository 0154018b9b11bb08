using System.Runtime.InteropServices;

namespace Vlm.Trainers.Runtime;

/// <summary>
/// Keeps glibc from returning large blocks to the kernel after every use. libtorch's CPU allocator
/// takes tensors from malloc; blocks over the mmap threshold (a dense gradient of a 150k-row
/// embedding is ~40 MB) are mapped and unmapped on each step, and the kernel zeroes every fresh
/// page: on a 2-core machine that showed as system time nearly equal to user time. Serving them
/// from the heap, and not trimming it, lets the same memory be reused step after step.
/// </summary>
internal static class AllocatorTuning
{
    const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;
    static int _applied;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int parameter, int value);

    /// <summary>Applies the settings once per process on Linux with glibc; elsewhere does nothing. Returns whether they are in effect.</summary>
    public static bool Apply()
    {
        if (!OperatingSystem.IsLinux()) return false;
        if (Interlocked.Exchange(ref _applied, 1) == 1) return true;
        try
        {
            return MallOpt(M_MMAP_MAX, 0) == 1 & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // musl and other C libraries have no mallopt
        }
    }
}
