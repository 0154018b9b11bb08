using Vlm.NativeFix;

namespace Vlm.Trainers.Runtime;

/// <summary>What the build-time libstdc++ fix did to the TorchSharp native library this app loads.</summary>
internal sealed record NativeFixStatus(string? LibraryPath, string? HostLibStdCxx, IReadOnlyList<string> WeakenedVersions, IReadOnlyList<string> UnmetVersions)
{
    public string Describe()
    {
        if (LibraryPath is null) return "not applicable (no libLibTorchSharp.so next to the app)";
        if (HostLibStdCxx is null) return "not applicable (no libstdc++.so.6 found on this host)";
        if (UnmetVersions.Count > 0) return $"MISSING: {LibraryPath} needs {string.Join(", ", UnmetVersions)} that {HostLibStdCxx} lacks; rebuild with VlmNativeFix=true";
        if (WeakenedVersions.Count > 0) return $"active ({string.Join(", ", WeakenedVersions)} marked weak; host {HostLibStdCxx} lacks them)";
        return $"not needed (host {HostLibStdCxx} has every version the library needs)";
    }

    /// <summary>Inspects the copy of libLibTorchSharp.so that TorchSharp's loader tries first.</summary>
    public static NativeFixStatus Inspect(string appDirectory)
    {
        string? library = FindLibrary(appDirectory);
        string? host = OperatingSystem.IsLinux() ? ElfVersionNeeds.FindHostLibStdCxx() : null;
        if (library is null || host is null) return new NativeFixStatus(library, host, [], []);
        var hostDefines = ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(host));
        var needs = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(library))
            .Where(n => n.File == "libstdc++.so.6" && !hostDefines.Contains(n.Version)).ToList();
        return new NativeFixStatus(library, host,
            needs.Where(n => n.Weak).Select(n => n.Version).ToList(),
            needs.Where(n => !n.Weak).Select(n => n.Version).ToList());
    }

    static string? FindLibrary(string appDirectory)
    {
        string[] candidates =
        [
            Path.Combine(appDirectory, "libLibTorchSharp.so"),
            Path.Combine(appDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
            Path.Combine(appDirectory, "runtimes", "linux-arm64", "native", "libLibTorchSharp.so"),
        ];
        return candidates.FirstOrDefault(File.Exists);
    }
}
