using System.Diagnostics;
using TorchSharp;
using Vlm.Trainers.Models.Llava;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>Greedy generation with the key/value cache against recomputing the whole sequence each token, same model and prompt.</summary>
internal static class GenerationBench
{
    public static IEnumerable<BenchRow> Run(StepShape shape, int promptTokens, int newTokens, Action<string> log)
    {
        torch.manual_seed(1);
        using var model = shape.Build();
        model.eval();
        using var ids = randint(1000, 100000, [1, promptTokens]);
        using var keep = ones_like(ids);
        var options = new GenerationOptions { MaxNewTokens = newTokens };
        double Time(bool cache)
        {
            using var _ = no_grad();
            AnswerGenerator.Generate(model, ids[.., ..16], keep[.., ..16], null, options with { MaxNewTokens = 2, DisableCache = !cache }); // warm up
            var clock = Stopwatch.StartNew();
            var answer = AnswerGenerator.Generate(model, ids, keep, null, options with { DisableCache = !cache });
            if (answer[0].Length != newTokens) throw new InvalidOperationException($"generated {answer[0].Length} tokens, not {newTokens}");
            return clock.Elapsed.TotalSeconds;
        }
        double cached = Time(cache: true), uncached = Time(cache: false);
        log($"generation {newTokens} tokens after a {promptTokens}-token prompt: {cached:F2} s with the cache, {uncached:F2} s without");
        return
        [
            new BenchRow("generation", $"tokens/s with the KV cache vs without ({promptTokens}-token prompt)", "tokens/s", newTokens / cached, "no cache", newTokens / uncached, null,
                $"per token {1000 * cached / newTokens:F1} ms vs {1000 * uncached / newTokens:F1} ms"),
        ];
    }
}
