using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Cli;

public class CommandRunnerTests
{
    static (int Code, string Out, string Err) Run(params string[] args) =>
        CommandHarness.RunAll([new TokenizeCommand(), new DoctorCommand()], args);

    [Fact]
    public void Help_of_a_command_lists_its_options_and_an_example_even_without_required_options()
    {
        var (code, output, _) = Run("tokenize", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--input <value>", output);
        Assert.Contains("example:\n  vlm tokenize", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void An_unknown_command_is_a_usage_error() => Assert.Equal(2, Run("fly").Code);

    [Fact]
    public void An_unknown_option_is_a_usage_error_naming_it()
    {
        var (code, _, err) = Run("tokenize", "--inptu", "x");
        Assert.Equal(2, code);
        Assert.Contains("unknown option '--inptu'", err);
    }

    [Fact]
    public void An_option_without_its_value_is_a_usage_error()
    {
        var (code, _, err) = Run("tokenize", "--input");
        Assert.Equal(2, code);
        Assert.Contains("--input needs a value", err);
    }

    [Fact]
    public void Options_parse_as_snake_or_kebab_case_and_with_equals()
    {
        var options = new[] { new CommandOption("max_length", "") , new CommandOption("dry-run", "", IsFlag: true) };
        var parsed = CommandLine.Parse(["--max-length=5", "--dry_run"], options);
        Assert.Equal("5", parsed.Value("max_length"));
        Assert.True(parsed.Flag("dry-run"));
    }

    [Fact]
    public void A_positional_option_takes_one_bare_argument()
    {
        var options = new[] { new CommandOption("fixtures", "", Positional: true), new CommandOption("seed", "") };
        Assert.Equal("./a", CommandLine.Parse(["./a", "--seed", "3"], options).Value("fixtures"));
        Assert.Equal("./b", CommandLine.Parse(["--fixtures", "./b"], options).Value("fixtures"));
        Assert.Contains("unexpected argument './c'", Assert.Throws<UsageException>(() => CommandLine.Parse(["./a", "./c"], options)).Message);
        Assert.Contains("unexpected argument './a'", Assert.Throws<UsageException>(() => CommandLine.Parse(["./a"], [new CommandOption("seed", "")])).Message);
    }

    [Fact]
    public void The_overview_lists_every_command()
    {
        var (_, output, _) = Run("--help");
        Assert.Contains("tokenize", output);
        Assert.Contains("doctor", output);
    }
}
