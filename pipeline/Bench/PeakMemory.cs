namespace Vlm.Pipeline.Bench;

/// <summary>This process's peak resident set (VmHWM), the number the memory targets compare.</summary>
internal static class PeakMemory
{
    public static long Bytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]) * 1024;
        throw new PlatformNotSupportedException("/proc/self/status has no VmHWM; peak memory is measured on Linux only");
    }
}
