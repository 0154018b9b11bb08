using System.Diagnostics;
using System.Text.Json;

namespace Vlm.Pipeline.Bench;

/// <summary>Runs a peer or a measurement in a process of its own and reads the JSON lines it prints.</summary>
internal static class PeerProcess
{
    public static IReadOnlyList<JsonElement> Run(string file, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        [.. RunText(file, arguments, workingDirectory, environment, timeout).Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    /// <summary>What <paramref name="file"/> prints on its standard output; a non-zero exit is an error with its last error line.</summary>
    public static string RunText(string file, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} ran past its time limit");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {Last(stderr.Result)}");
        return stdout;
    }

    /// <summary>How to start this program again: the vlm executable runs itself; under dotnet or a test host, dotnet runs vlm.dll.</summary>
    public static (string File, string[] Prefix) SelfCommand()
    {
        string? entry = Environment.ProcessPath;
        return entry is not null && Path.GetFileNameWithoutExtension(entry) == "vlm" ? (entry, []) : ("dotnet", [typeof(PeerProcess).Assembly.Location]);
    }

    /// <summary>This program run again as a child, for measurements that need a process of their own (peak memory).</summary>
    public static JsonElement Self(params string[] arguments) => Self(null, arguments);

    /// <summary><see cref="Self(string[])"/> with <paramref name="environment"/> added to the child's.</summary>
    public static JsonElement Self(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var (file, prefix) = SelfCommand();
        var lines = Run(file, [.. prefix, .. arguments], environment: environment);
        return lines.Count > 0 ? lines[^1] : throw new InvalidOperationException($"the child run ({string.Join(' ', arguments)}) printed no result");
    }

    static string Last(string text) => text.Trim().Split('\n').LastOrDefault() ?? "";
}
