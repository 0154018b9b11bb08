using System.Runtime.InteropServices;

namespace Vlm.Datasets.IO;

/// <summary>
/// A path with every symbolic link in it resolved (the C library's <c>realpath</c>): the only sound
/// way to tell whether a file is inside a folder, since a link anywhere in the chain (not only the
/// last part) can lead out of it.
/// </summary>
public static class RealPath
{
    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    static extern IntPtr NativeRealPath(string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    static extern void Free(IntPtr pointer);

    /// <summary>The resolved path, or null when the path does not exist (or a link in it is broken).</summary>
    public static string? Of(string path)
    {
        string full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows()) return Path.Exists(full) ? full : null;
        IntPtr resolved = NativeRealPath(full, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    /// <summary>Whether <paramref name="path"/> (resolved) lies inside <paramref name="folder"/> (resolved).</summary>
    public static bool IsInside(string folder, string path)
    {
        string prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, StringComparison.Ordinal);
    }
}
