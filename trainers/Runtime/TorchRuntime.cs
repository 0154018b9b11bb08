using TorchSharp;

namespace Vlm.Trainers.Runtime;

/// <summary>Facts about the TorchSharp runtime in this process, for `vlm doctor`.</summary>
internal sealed record TorchRuntimeInfo(
    string TorchSharpVersion, string LibTorchVersion, bool CudaAvailable, IReadOnlyList<string> CudaDevices,
    int Threads);

internal static class TorchRuntime
{
    /// <summary>
    /// Loads TorchSharp's native backend and reports on it. Throws <see cref="TorchLoadException"/>
    /// with a one-line reason when the native library cannot be loaded.
    /// </summary>
    public static TorchRuntimeInfo Probe()
    {
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
                cuda, devices, torch.get_num_threads());
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            throw new TorchLoadException(OneLine(e));
        }
    }

    static string OneLine(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        string first = inner.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? inner.GetType().Name;
        return $"TorchSharp's native library did not load: {first}";
    }
}

/// <summary>TorchSharp's native backend could not be loaded in this process.</summary>
public sealed class TorchLoadException(string message) : Exception(message);
