using System.Diagnostics;

namespace Vlm.Pipeline.Cli;

/// <summary>
/// Progress of long work. On a terminal: one line redrawn in place, at most ten times a second, with
/// a bar (when the total is known), the count, the rate and the time left. Elsewhere (a log file, CI):
/// a plain line every <c>logEvery</c> units and at least every <see cref="LogInterval"/> while work goes
/// on (a watcher of a redirected run is never left without news for long), since carriage returns make
/// logs unreadable.
/// </summary>
internal sealed class ProgressReporter : IProgress<long>, IDisposable
{
    readonly TextWriter _output;
    readonly string _unit;
    readonly long? _total;
    readonly long _logEvery;
    readonly bool _terminal;
    readonly Func<TimeSpan> _elapsed;
    TimeSpan? _drawn;
    TimeSpan _logged;
    long _done;

    /// <summary>The longest a redirected run goes without a progress line.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(15);

    ProgressReporter(TextWriter output, string unit, long? total, long logEvery, bool terminal, Func<TimeSpan>? elapsed = null)
    {
        _output = output;
        _unit = unit;
        _total = total;
        _logEvery = logEvery;
        _terminal = terminal;
        var clock = Stopwatch.StartNew();
        _elapsed = elapsed ?? (() => clock.Elapsed);
    }

    /// <summary>True when <paramref name="output"/> is the console and the console is not redirected.</summary>
    public static bool IsTerminal(TextWriter output) => ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;

    public static ProgressReporter Create(TextWriter output, string unit, long? total, long logEvery) =>
        new(output, unit, total, logEvery, IsTerminal(output));

    internal static ProgressReporter ForTerminal(TextWriter output, string unit, long? total) => new(output, unit, total, 0, true);

    /// <summary>A reporter for a log, on the given clock (tests).</summary>
    internal static ProgressReporter ForLog(TextWriter output, string unit, long? total, long logEvery, Func<TimeSpan> elapsed) =>
        new(output, unit, total, logEvery, false, elapsed);

    public void Report(long done)
    {
        _done = done;
        var now = _elapsed();
        if (_terminal)
        {
            if (now - _drawn < TimeSpan.FromMilliseconds(100) && done != _total) return; // null: never drawn, so draw
            _drawn = now;
            _output.Write("\r" + Line(done, _total, now, _unit) + "\u001b[K");
        }
        else if (_logEvery > 0 && done % _logEvery == 0 || now - _logged >= LogInterval)
        {
            _logged = now;
            _output.WriteLine(Line(done, _total, now, _unit));
        }
    }

    /// <summary>Writes a line of its own above the progress line (which is redrawn under it).</summary>
    public void WriteLine(string line)
    {
        if (!_terminal || _drawn is null)
        {
            _output.WriteLine(line);
            return;
        }
        _output.Write("\r\u001b[K" + line + "\n" + Line(_done, _total, _elapsed(), _unit) + "\u001b[K");
    }

    /// <summary>Ends the redrawn line so what follows starts on its own.</summary>
    public void Dispose()
    {
        if (!_terminal || _drawn is null) return;
        _output.Write("\r" + Line(_done, _total, _elapsed(), _unit) + "\u001b[K");
        _output.WriteLine();
    }

    /// <summary>"[#####-----]  50%  1,000/2,000 records  400 records/s  2.5 s left"; without a total, no bar and no time left.</summary>
    internal static string Line(long done, long? total, TimeSpan elapsed, string unit)
    {
        double rate = Rate(done, elapsed);
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        if (total is not { } all || all <= 0) return string.Create(culture, $"{done:N0} {unit}  {rate:N0} {unit}/s");
        double fraction = Math.Clamp((double)done / all, 0, 1);
        const int width = 24;
        int filled = (int)Math.Round(fraction * width);
        string left = rate > 0 ? Duration(Math.Max(all - done, 0) / rate) + " left" : "";
        return string.Create(culture, $"[{new string('#', filled)}{new string('-', width - filled)}] {fraction * 100,3:F0}%  {done:N0}/{all:N0} {unit}  {rate:N0} {unit}/s  {left}").TrimEnd();
    }

    static double Rate(long done, TimeSpan elapsed) => done / Math.Max(elapsed.TotalSeconds, 1e-3);

    static string Duration(double seconds) => seconds < 60
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{seconds:F1} s")
        : TimeSpan.FromSeconds(Math.Round(seconds)).ToString(seconds < 3600 ? @"m\:ss" : @"h\:mm\:ss");
}
