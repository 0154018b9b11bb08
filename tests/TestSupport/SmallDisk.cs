using System.Diagnostics;

namespace Vlm.Tests.TestSupport;

/// <summary>
/// A folder on a file system of its own that a test can fill: a 4 MiB tmpfs where the process may
/// mount one (root with the capability, as in CI's container), else a plain temporary folder
/// (<see cref="IsSmall"/> false) where the test must make its writes fail another way.
/// </summary>
internal sealed class SmallDisk : IDisposable
{
    readonly TempFolder _folder = new();

    public SmallDisk()
    {
        IsSmall = OperatingSystem.IsLinux() && Run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", _folder.Path);
    }

    public string Path => _folder.Path;
    public bool IsSmall { get; }

    /// <summary>Fills the disk up to all but <paramref name="bytesLeft"/> bytes (about: tmpfs counts whole pages).</summary>
    public string Fill(long bytesLeft)
    {
        string filler = System.IO.Path.Combine(Path, "filler");
        var info = new DriveInfo(Path);
        long size = Math.Max(0, info.AvailableFreeSpace - bytesLeft);
        using var stream = File.Create(filler);
        stream.Write(new byte[size]);
        return filler;
    }

    static bool Run(string file, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (IsSmall) Run("umount", Path);
        _folder.Dispose();
    }
}
