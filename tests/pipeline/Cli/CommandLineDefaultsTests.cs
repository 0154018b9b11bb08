using Vlm.Pipeline.Cli;
using Vlm.Trainers.Models.Llava;

namespace Vlm.Tests.Pipeline.Cli;

/// <summary>An option left out reads as the default its declaration shows in --help: one place for each default.</summary>
public class CommandLineDefaultsTests
{
    static readonly CommandOption[] Declared =
    [
        new("batch_size", "n", Default: "8"),
        new("rate", "x", Default: "0.25"),
        new("format", "f", Default: "llava"),
        new("name", "no default"),
        new("described", "a default in words", Default: "the built-in one"),
    ];

    [Fact]
    public void A_missing_option_reads_as_its_declared_default_and_a_given_one_as_given()
    {
        var none = CommandLine.Parse([], Declared);
        Assert.Equal(8, none.Int("batch_size"));
        Assert.Equal(0.25, none.Double("rate"));
        Assert.Equal("llava", none.ValueOrDefault("format"));

        var given = CommandLine.Parse(["--batch-size", "3", "--rate=1.5", "--format", "jsonl"], Declared);
        Assert.Equal(3, given.Int("batch_size"));
        Assert.Equal(1.5, given.Double("rate"));
        Assert.Equal("jsonl", given.ValueOrDefault("format"));
    }

    [Fact]
    public void A_default_that_is_not_declared_or_not_a_number_is_a_programming_error()
    {
        var none = CommandLine.Parse([], Declared);
        Assert.Contains("--name declares no default", Assert.Throws<InvalidOperationException>(() => none.ValueOrDefault("name")).Message);
        Assert.Contains("not a number", Assert.Throws<InvalidOperationException>(() => none.Int("described")).Message);
        Assert.Contains("--unknown declares no default", Assert.Throws<InvalidOperationException>(() => none.Int("unknown")).Message);
    }

    [Fact]
    public void A_bad_given_value_is_still_a_usage_error()
    {
        var args = CommandLine.Parse(["--batch_size", "many"], Declared);
        Assert.Equal("--batch_size must be an integer, not 'many'", Assert.Throws<UsageException>(() => args.Int("batch_size")).Message);
    }

    [Fact]
    public void Generation_flags_left_out_give_the_generation_records_defaults()
    {
        var parsed = GenerationArguments.Parse(CommandLine.Parse([], GenerationArguments.Options));
        var defaults = new GenerationOptions();
        Assert.Equal(
            (defaults.MaxNewTokens, defaults.Temperature, defaults.TopK, defaults.TopP, defaults.RepetitionPenalty, defaults.Seed),
            (parsed.MaxNewTokens, parsed.Temperature, parsed.TopK, parsed.TopP, parsed.RepetitionPenalty, parsed.Seed));

        var sampled = GenerationArguments.Parse(CommandLine.Parse(["--temperature", "0.7", "--top_k", "5", "--top_p", "0.9", "--generation_seed", "7"], GenerationArguments.Options));
        Assert.Equal((0.7, 5, 0.9, 7L), (sampled.Temperature, sampled.TopK, sampled.TopP, sampled.Seed));
    }
}
