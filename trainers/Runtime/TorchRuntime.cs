using TorchSharp;

namespace Vlm.Trainers.Runtime;

/// <summary>Facts about the TorchSharp runtime in this process, for `vlm doctor`.</summary>
internal sealed record TorchRuntimeInfo(
    string TorchSharpVersion, string LibTorchVersion, bool CudaAvailable, IReadOnlyList<string> CudaDevices,
    int Threads, string? CpuKernels);

internal static class TorchRuntime
{
    /// <summary>
    /// Loads TorchSharp's native backend and reports on it. Throws <see cref="TorchLoadException"/>
    /// with a one-line reason when the native library cannot be loaded.
    /// </summary>
    public static TorchRuntimeInfo Probe()
    {
        CpuKernels.Apply(); // before libtorch's first kernel, which fixes its choice
        try
        {
            // Forces the native load: TorchSharp's static constructor runs on first use.
            using var probe = torch.zeros(1);
            bool cuda = torch.cuda.is_available();
            var devices = new List<string>();
            if (cuda)
                for (int i = 0; i < torch.cuda.device_count(); i++)
                    devices.Add($"cuda:{i}");
            return new TorchRuntimeInfo(
                typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown",
                torch.__version__,
                cuda, devices, torch.get_num_threads(), CpuKernels.Chosen());
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            throw new TorchLoadException(Explain(e, NativeFixStatus.Inspect(AppContext.BaseDirectory)));
        }
    }

    static int _loaded;

    /// <summary>
    /// Called before the library's first use of TorchSharp (Fit, loading a model): a native library
    /// that cannot load is reported once, with its cause, instead of TorchSharp's type-initialisation
    /// error (which blames a missing package reference even when the cause is the host's libstdc++).
    /// </summary>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref _loaded) == 1) return;
        Probe();
        Volatile.Write(ref _loaded, 1);
    }

    /// <summary>One line: what failed, and, when the app's libLibTorchSharp.so needs libstdc++ versions the host lacks, that and what to do.</summary>
    internal static string Explain(Exception e, NativeFixStatus fix)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        string first = inner.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? inner.GetType().Name;
        string message = $"TorchSharp's native library did not load: {first.TrimEnd('.')}";
        if (fix.UnmetVersions.Count > 0)
            message += $". The cause: {fix.LibraryPath} needs {string.Join(", ", fix.UnmetVersions)} of libstdc++, which {fix.HostLibStdCxx} lacks."
                + " Reference the Vlm.Trainers package (its build step marks those versions weak in your app's build output), or with project references import"
                + " this project's build/TorchSharpNativeFix.targets into your app's project (safe,"
                + " see its notes), or run on a host with a newer libstdc++ (GCC 13 or later)";
        return message;
    }
}

/// <summary>TorchSharp's native backend could not be loaded in this process.</summary>
public sealed class TorchLoadException(string message) : Exception(message);
