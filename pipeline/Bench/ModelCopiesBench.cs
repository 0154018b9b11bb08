using TorchSharp;
using Vlm.Trainers.Features;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Training;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// <c>cpu_replicas</c> at the demo's LLM step (<see cref="StepShape.Demo"/>): one model using every core for
/// each operation (libtorch's intra-op threads) against a copy per core, each running its share of the
/// batch on one thread of its own (<see cref="ThreadReplicas"/>: forward, backward, gradients gathered,
/// AdamW, weights copied back). Both in this process, in alternating rounds, so the machine's drift
/// touches both alike: tokens/s, the median round with the spread of the rounds.
/// </summary>
internal static class ModelCopiesBench
{
    public static BenchRow Run(int rounds, int stepsPerRound, Action<string> log)
    {
        var shape = StepShape.Demo;
        int copies = Math.Clamp(Environment.ProcessorCount, 2, shape.Batch), threads = get_num_threads();
        var random = new Random(1);
        // Rows as the ETL makes them: the image positions (no image here: the step shape's ids stand for them) unlabelled.
        var examples = Enumerable.Range(0, shape.Batch).Select(_ => new TrainingExample(
            [.. Enumerable.Range(0, shape.Tokens).Select(_ => random.Next(1, shape.Vocab))],
            [.. Enumerable.Range(0, shape.Tokens).Select(t => t < shape.ImageTokens ? -100 : random.Next(1, shape.Vocab))], null)).ToList();
        var noImages = new NoImages();

        manual_seed(1);
        using var one = shape.Build();
        one.train();
        using var oneOptimizer = new AdamW([new ParamGroup([.. one.LanguageModel.parameters()], 1e-4, 0)]);
        using var ids = tensor(examples.SelectMany(e => e.InputIds.Select(i => (long)i)).ToArray(), [shape.Batch, shape.Tokens]);
        using var keep = ones_like(ids);
        using var labels = tensor(examples.SelectMany(e => e.Labels.Select(l => (long)l)).ToArray(), [shape.Batch, shape.Tokens]);

        manual_seed(1);
        using var model = shape.Build();
        model.train();
        var trainable = LanguageModelOnly(model);
        using var optimizer = new AdamW([new ParamGroup([.. trainable.Select(t => t.Parameter)], 1e-4, 0)]);
        using var replicas = ThreadReplicas.Create(model, copies, trainable, LanguageModelOnly);
        TrainingBatch[] Parts() => [.. Enumerable.Range(0, copies).Select(k => TrainingBatch.Create(examples[(shape.Batch * k / copies)..(shape.Batch * (k + 1) / copies)], noImages))];

        var single = new List<double>();
        var split = new List<double>();
        for (int round = 0; round <= rounds; round++) // round 0 warms both up (the optimizer state, the threads)
        {
            set_num_threads(threads);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int step = 0; step < stepsPerRound; step++) BenchStep.Run(one, oneOptimizer, ids, keep, labels);
            if (round > 0) single.Add(clock.Elapsed.TotalSeconds / stepsPerRound);

            set_num_threads(1);
            clock.Restart();
            for (int step = 0; step < stepsPerRound; step++)
            {
                using var scope = NewDisposeScope();
                replicas.ForwardBackward(Parts(), CPU, 1.0);
                replicas.GatherGradients();
                optimizer.StepOnce();
                optimizer.ZeroGrad();
                replicas.CopyWeights();
            }
            if (round > 0) split.Add(clock.Elapsed.TotalSeconds / stepsPerRound);
        }
        set_num_threads(threads);
        double tokens = (double)shape.Batch * shape.Tokens;
        var ratios = single.Zip(split, (a, b) => a / b).Order().ToList();
        double oneSeconds = Median(single), splitSeconds = Median(split);
        log($"demo-shape step: one model on {threads} intra-op threads {oneSeconds * 1000:F1} ms, {copies} copies on a thread each {splitSeconds * 1000:F1} ms "
            + $"({ratios[ratios.Count / 2]:F2}x, rounds {ratios[0]:F2}-{ratios[^1]:F2}x)");
        return new BenchRow("training", $"demo-shape tokens/s: {copies} model copies on a thread each (cpu_replicas) vs one model on {threads} intra-op threads", "tokens/s",
            tokens / splitSeconds, $"one model, {threads} threads", tokens / oneSeconds, 1.0,
            $"{splitSeconds * 1000:F1} vs {oneSeconds * 1000:F1} ms/step, medians of {rounds} alternating rounds of {stepsPerRound} steps; per-round ratio {ratios[0]:F2}-{ratios[^1]:F2}x");
    }

    /// <summary>The bench step trains the LLM only, as <see cref="BenchStep"/> does.</summary>
    static List<(string Name, TorchSharp.Modules.Parameter Parameter)> LanguageModelOnly(VlmModel model)
    {
        foreach (var p in model.parameters()) p.requires_grad = false;
        var trainable = model.LanguageModel.named_parameters().Select(p => ("language_model." + p.name, p.parameter)).ToList();
        foreach (var (_, p) in trainable) p.requires_grad = true;
        return trainable;
    }

    static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
