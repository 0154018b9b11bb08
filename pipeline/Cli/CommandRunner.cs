namespace Vlm.Pipeline.Cli;

/// <summary>Dispatches to a command, prints help, and turns exceptions into one-line errors and exit codes.</summary>
internal sealed class CommandRunner(IReadOnlyList<ICommand> commands)
{
    static readonly CommandOption[] Common =
    [
        new("help", "show this help", IsFlag: true),
        new("verbose", "print stack traces with errors", IsFlag: true),
    ];

    public int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            PrintOverview(output);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        var command = commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            error.WriteLine($"vlm: unknown command '{args[0]}' (see vlm --help)");
            return ExitCodes.Usage;
        }
        var rest = args.Skip(1).ToArray();
        bool verbose = rest.Contains("--verbose");
        try
        {
            var parsed = CommandLine.Parse(rest, [.. command.Options, .. Common]);
            if (parsed.Flag("help"))
            {
                PrintHelp(command, output);
                return ExitCodes.Ok;
            }
            parsed.CheckRequired(command.Options);
            return command.Run(parsed, output);
        }
        catch (UsageException e)
        {
            error.WriteLine($"vlm {command.Name}: {e.Message}");
            error.WriteLine($"usage: {command.Example}   (vlm {command.Name} --help for more)");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (!verbose)
        {
            error.WriteLine($"vlm {command.Name}: {OneLine(e)}");
            return ExitCodes.Failed;
        }
        catch (Exception e)
        {
            error.WriteLine($"vlm {command.Name}: {e}");
            return ExitCodes.Failed;
        }
    }

    static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ");

    void PrintOverview(TextWriter output)
    {
        output.WriteLine("vlm: a vision-language model data and training pipeline for ML.NET");
        output.WriteLine();
        output.WriteLine("commands:");
        foreach (var c in commands) output.WriteLine($"  {c.Name,-16} {c.Summary}");
        output.WriteLine();
        output.WriteLine("vlm <command> --help shows a command's options and an example.");
    }

    static void PrintHelp(ICommand command, TextWriter output)
    {
        output.WriteLine($"vlm {command.Name}: {command.Summary}");
        output.WriteLine();
        output.WriteLine("options (--snake_case and --kebab-case both work):");
        foreach (var o in command.Options.Concat(Common))
        {
            string name = o.IsFlag ? $"--{o.Name}" : $"--{o.Name} <value>";
            string extra = (o.Required ? " (required)" : o.Default is null ? "" : $" (default: {o.Default})") + (o.Positional ? " (or as a bare argument, without --" + o.Name + ")" : "");
            output.WriteLine($"  {name,-28} {o.Help}{extra}");
        }
        output.WriteLine();
        output.WriteLine("example:");
        output.WriteLine($"  {command.Example}");
    }
}
