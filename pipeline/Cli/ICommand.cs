namespace Vlm.Pipeline.Cli;

/// <summary>One `vlm` sub-command.</summary>
internal interface ICommand
{
    string Name { get; }
    string Summary { get; }
    /// <summary>A complete example invocation, shown by --help.</summary>
    string Example { get; }
    IReadOnlyList<CommandOption> Options { get; }
    /// <summary>Runs the command; returns the process exit code.</summary>
    int Run(CommandLine args, TextWriter output);
}

/// <summary>Exit codes shared by every command.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command ran and found a problem (bad data, a failed check).</summary>
    public const int Failed = 1;
    /// <summary>The command line itself was wrong.</summary>
    public const int Usage = 2;
    /// <summary>Stopped by SIGTERM or SIGINT after saving its work; run again (with <c>--resume</c>) to continue (sysexits' EX_TEMPFAIL).</summary>
    public const int Interrupted = 75;
}
