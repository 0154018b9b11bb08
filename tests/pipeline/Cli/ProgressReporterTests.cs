using Vlm.Pipeline.Cli;

namespace Vlm.Tests.Pipeline.Cli;

public class ProgressReporterTests
{
    [Fact]
    public void With_a_total_the_line_has_a_bar_the_rate_and_the_time_left()
    {
        string line = ProgressReporter.Line(5_000, 20_000, TimeSpan.FromSeconds(2), "records");
        Assert.Equal("[######------------------]  25%  5,000/20,000 records  2,500 records/s  6.0 s left", line);
    }

    [Fact]
    public void Without_a_total_the_line_has_the_count_and_the_rate()
    {
        Assert.Equal("1,200 records  600 records/s", ProgressReporter.Line(1_200, null, TimeSpan.FromSeconds(2), "records"));
    }

    [Fact]
    public void Long_waits_are_shown_in_minutes()
    {
        Assert.EndsWith("  1 records/s  1:39 left", ProgressReporter.Line(1, 100, TimeSpan.FromSeconds(1), "records"));
    }

    [Fact]
    public void A_log_gets_plain_lines_at_the_interval_and_no_carriage_returns()
    {
        var log = new StringWriter();
        using (var progress = ProgressReporter.Create(log, "records", 30, logEvery: 10))
            for (int i = 1; i <= 25; i++) progress.Report(i);
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("10/30 records", lines[0]);
        Assert.Contains("20/30 records", lines[1]);
        Assert.DoesNotContain('\r', log.ToString());
    }

    [Fact]
    public void A_terminal_line_is_redrawn_in_place_and_ended_once()
    {
        var terminal = new StringWriter();
        using (var progress = ProgressReporter.ForTerminal(terminal, "records", 3))
            for (int i = 1; i <= 3; i++) progress.Report(i);
        string text = terminal.ToString();
        Assert.StartsWith("\r[", text);
        Assert.Contains("3/3 records", text);
        Assert.EndsWith(Environment.NewLine, text);
        Assert.Single(text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_log_gets_a_line_at_least_every_fifteen_seconds_whatever_the_count()
    {
        var log = new StringWriter();
        var now = TimeSpan.Zero;
        using (var progress = ProgressReporter.ForLog(log, "steps", 600, logEvery: 0, () => now))
            for (int step = 1; step <= 60; step++)
            {
                now = TimeSpan.FromSeconds(step);
                progress.Report(step);
            }
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["15/600", "30/600", "45/600", "60/600"], lines.Select(l => l.Split("  ")[2].Split(' ')[0]));
        Assert.Contains("left", lines[^1]);
    }
}
