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
        var (batched, oneByOne, questions, batch) = Batched(model, promptTokens, newTokens);
        log($"generation {questions} questions: {batched:F2} s in batches of {batch}, {oneByOne:F2} s one at a time");
        return
        [
            new BenchRow("generation", $"tokens/s with the KV cache vs without ({promptTokens}-token prompt)", "tokens/s", newTokens / cached, "no cache", newTokens / uncached, null,
                $"per token {1000 * cached / newTokens:F1} ms vs {1000 * uncached / newTokens:F1} ms"),
            new BenchRow("generation", $"answers/s, {questions} questions of {promptTokens / 2}-{promptTokens} tokens in left-padded batches of {batch} vs one at a time (batched Transform)", "answers/s",
                questions / batched, "one at a time", questions / oneByOne, null),
        ];
    }

    /// <summary>Questions of several lengths answered as <c>VlmTransformer.Transform</c> does (left-padded batches) and one by one.</summary>
    static (double Batched, double OneByOne, int Questions, int Batch) Batched(VlmModel model, int promptTokens, int newTokens)
    {
        const int questions = 16, batch = 8;
        var random = new Random(3);
        var prompts = Enumerable.Range(0, questions).Select(_ => Enumerable.Range(0, random.Next(promptTokens / 2, promptTokens + 1)).Select(_ => (long)random.Next(1000, 100000)).ToArray()).ToList();
        var options = new GenerationOptions { MaxNewTokens = newTokens };
        using var _ = no_grad();
        var clock = Stopwatch.StartNew();
        foreach (var prompt in prompts)
            using (var scope = NewDisposeScope())
            {
                var ids = tensor(prompt, [1, prompt.Length]);
                AnswerGenerator.Generate(model, ids, ones_like(ids), null, options);
            }
        double oneByOne = clock.Elapsed.TotalSeconds;
        clock.Restart();
        foreach (var group in prompts.Chunk(batch))
            using (var scope = NewDisposeScope())
            {
                int width = group.Max(p => p.Length);
                var ids = tensor(group.SelectMany(p => Enumerable.Repeat(1L, width - p.Length).Concat(p)).ToArray(), [group.Length, width]); // padding: any id but the image token (0 here)
                var keep = tensor(group.SelectMany(p => Enumerable.Repeat(0L, width - p.Length).Concat(Enumerable.Repeat(1L, p.Length))).ToArray(), [group.Length, width]);
                AnswerGenerator.Generate(model, ids, keep, null, options);
            }
        return (clock.Elapsed.TotalSeconds, oneByOne, questions, batch);
    }
}
