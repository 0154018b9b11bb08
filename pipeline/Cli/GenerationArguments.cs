using System.Globalization;
using Vlm.Trainers.Models.Llava;

namespace Vlm.Pipeline.Cli;

/// <summary>The decoding options shared by predict, chat and serve (greedy unless a temperature is given).</summary>
internal static class GenerationArguments
{
    static readonly GenerationOptions Defaults = new();

    public static IReadOnlyList<CommandOption> Options { get; } =
    [
        new("max_new_tokens", "longest answer in tokens", Default: Text(Defaults.MaxNewTokens)),
        new("temperature", "sampling temperature; 0 = greedy", Default: Text(Defaults.Temperature)),
        new("top_k", "sample among the k most likely tokens; 0 = all", Default: Text(Defaults.TopK)),
        new("top_p", "sample among the most likely tokens whose probabilities sum to p", Default: Text(Defaults.TopP)),
        new("repetition_penalty", "Hugging Face's repetition penalty; 1 = off", Default: Text(Defaults.RepetitionPenalty)),
        new("generation_seed", "seed for sampling", Default: Text(Defaults.Seed)),
    ];

    static string Text<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);

    public static GenerationOptions Parse(CommandLine args)
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = args.Int("max_new_tokens"),
            Temperature = args.Double("temperature"),
            TopK = args.Int("top_k"),
            TopP = args.Double("top_p"),
            RepetitionPenalty = args.Double("repetition_penalty"),
            Seed = args.Int("generation_seed"),
        };
        if (options.MaxNewTokens <= 0) throw new UsageException("--max_new_tokens must be positive");
        if (options.Temperature < 0) throw new UsageException("--temperature must not be negative");
        if (options.TopK < 0) throw new UsageException("--top_k must not be negative");
        if (options.TopP is <= 0 or > 1) throw new UsageException("--top_p must be in (0, 1]");
        if (options.RepetitionPenalty <= 0) throw new UsageException("--repetition_penalty must be positive");
        return options;
    }
}
