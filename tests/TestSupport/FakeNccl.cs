using System.Diagnostics;

namespace Vlm.Tests.TestSupport;

/// <summary>
/// The stand-in for libnccl.so.2 (tests/tools/fake-nccl/fake_nccl.c: nccl.h's functions on host memory, ranks
/// meeting through files), compiled with the system's C compiler into a given folder.
/// </summary>
internal static class FakeNccl
{
    public static string Build(string folder)
    {
        Assert.True(File.Exists("/usr/bin/cc"), "no C compiler: tests/tools/install-openmpi.sh installs Debian's gcc");
        string source = Path.Combine(RepositoryFolder.Root, "tests", "tools", "fake-nccl", "fake_nccl.c");
        string library = Path.Combine(folder, "libfakenccl.so");
        var start = new ProcessStartInfo("cc") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-shared", "-fPIC", "-O2", "-o", library, source }) start.ArgumentList.Add(a);
        using var cc = Process.Start(start)!;
        string errors = cc.StandardError.ReadToEnd();
        cc.WaitForExit();
        Assert.True(cc.ExitCode == 0, $"cc failed: {errors}");
        return library;
    }
}
