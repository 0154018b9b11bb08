using Vlm.Pipeline.Cli;

namespace Vlm.Tests.TestSupport;

/// <summary>Runs `vlm` commands in-process and captures what they print.</summary>
internal static class CommandHarness
{
    public static (int Code, string Out, string Err) Run(ICommand command, params string[] args) =>
        RunAll([command], [command.Name, .. args]);

    public static (int Code, string Out, string Err) RunAll(ICommand[] commands, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CommandRunner(commands).Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
