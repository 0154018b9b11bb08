using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Vlm.Tests.TestSupport;

/// <summary>
/// The <c>vlm</c> program as a real process (the test output folder has <c>vlm.dll</c>), for what
/// only a process shows: signals, kills, a fresh random generator, exit codes.
/// </summary>
internal sealed class VlmProcess : IDisposable
{
    readonly Process _process;
    readonly List<string> _lines = [];
    readonly System.Text.StringBuilder _error = new();

    public VlmProcess(params string[] args) : this(mpi: false, [args]) { }

    /// <summary><c>vlm</c> with <paramref name="environment"/> added to this process's (under MPI, passed to every rank).</summary>
    public static VlmProcess With(IReadOnlyDictionary<string, string> environment, params string[] args) => new(mpi: false, [args], environment);

    /// <summary><c>vlm</c> under <c>mpirun</c> with <paramref name="ranks"/> processes and <paramref name="environment"/> passed to each.</summary>
    public static VlmProcess MpirunWith(IReadOnlyDictionary<string, string> environment, int ranks, params string[] args) =>
        new(mpi: true, [.. Enumerable.Repeat(args, ranks)], environment);

    /// <summary>
    /// Under MPI, <c>mpirun</c> starts one rank per argument list (Open MPI's <c>app : app</c> form), one
    /// torch thread each, as root too, more ranks than cores allowed; else <c>dotnet vlm.dll</c> with the one list.
    /// </summary>
    VlmProcess(bool mpi, string[][] ranks, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(mpi ? "mpirun" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        string[] passed = [.. (environment?.Keys ?? []).SelectMany(name => new[] { "-x", name })];
        string vlm = Path.Combine(AppContext.BaseDirectory, "vlm.dll");
        if (mpi)
        {
            start.ArgumentList.Add("--oversubscribe");
            start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
            start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
            for (int r = 0; r < ranks.Length; r++)
            {
                if (r > 0) start.ArgumentList.Add(":");
                foreach (var a in (string[])["-np", "1", "-x", "OMP_NUM_THREADS=1", .. passed, "dotnet", vlm, .. ranks[r]]) start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.ArgumentList.Add(vlm);
            foreach (var a in ranks[0]) start.ArgumentList.Add(a);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("vlm did not start");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) { _lines.Add(e.Data); Monitor.PulseAll(_lines); } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_error) _error.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary><c>vlm</c> under Open MPI's <c>mpirun</c> with <paramref name="ranks"/> processes.</summary>
    public static VlmProcess Mpirun(int ranks, params string[] args) => new(mpi: true, [.. Enumerable.Repeat(args, ranks)]);

    /// <summary><c>vlm</c> under <c>mpirun</c>, rank r with <c>perRank[r]</c>'s arguments.</summary>
    public static VlmProcess MpirunEach(params string[][] perRank) => new(mpi: true, perRank);

    public int Id => _process.Id;

    public string Output { get { lock (_lines) return string.Join('\n', _lines); } }
    public string Error { get { lock (_error) return _error.ToString(); } }

    /// <summary>Waits until a printed line contains <paramref name="text"/>; false when the process ends or the time is up first.</summary>
    public bool WaitForLine(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_lines)
        {
            while (!_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
            {
                if (_process.HasExited || DateTime.UtcNow > deadline) return false;
                Monitor.Wait(_lines, TimeSpan.FromMilliseconds(100));
            }
            return true;
        }
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    public const int SIGINT = 2, SIGKILL = 9, SIGTERM = 15;

    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>The exit code, after waiting for the end (killed on time-out).</summary>
    public int Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"vlm ran past {timeout}: {Output}\n{Error}");
        }
        _process.WaitForExit(); // the output's last lines
        return _process.ExitCode;
    }

    /// <summary>The JSON objects ranks printed, one each (mpirun may put several on one line).</summary>
    public static List<System.Text.Json.JsonElement> JsonObjects(string output) =>
        [.. System.Text.RegularExpressions.Regex.Matches(output, "\\{[^{}]*\\}").Select(m => System.Text.Json.JsonDocument.Parse(m.Value).RootElement)];

    /// <summary>Runs to the end and returns the exit code, output and errors.</summary>
    public static (int Code, string Out, string Err) Run(TimeSpan timeout, params string[] args) => RunToEnd(new VlmProcess(args), timeout);

    /// <summary>As <see cref="Run"/>, under <c>mpirun</c> with <paramref name="ranks"/> processes.</summary>
    public static (int Code, string Out, string Err) RunMpi(int ranks, TimeSpan timeout, params string[] args) => RunToEnd(Mpirun(ranks, args), timeout);

    static (int Code, string Out, string Err) RunToEnd(VlmProcess started, TimeSpan timeout)
    {
        using var process = started;
        int code = process.Wait(timeout);
        return (code, process.Output, process.Error);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
