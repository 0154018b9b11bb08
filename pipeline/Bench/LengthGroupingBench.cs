using TorchSharp;
using Vlm.Trainers.Features;
using Vlm.Trainers.Training;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// <c>group_by_length</c> and <c>packing</c> on a LLaVA-like length mix (60% caption rows of 80-200
/// tokens, 30% answers of 300-700, 10% reasoning rows of 1,000-2,000): the padding fraction of a whole
/// epoch in batches of 4, and the real (unpadded) tokens/s of training steps on the same batch positions
/// of each layout, each batch made as the trainer makes it.
/// </summary>
internal static class LengthGroupingBench
{
    const int Batch = 4;

    public static IEnumerable<BenchRow> Run(StepShape shape, bool quick, Action<string> log)
    {
        int count = quick ? 64 : 400, steps = quick ? 2 : 6, scale = quick ? 8 : 1;
        var random = new Random(11);
        var examples = Enumerable.Range(0, count).Select(_ =>
        {
            int length = random.NextDouble() switch
            {
                < 0.6 => random.Next(80, 200),
                < 0.9 => random.Next(300, 700),
                _ => random.Next(1000, 2000),
            } / scale;
            int[] ids = [.. Enumerable.Range(0, length).Select(_ => random.Next(1000, 30000))];
            return new TrainingExample(ids, [.. ids.Select((id, t) => t < length / 3 ? -100 : id)], null);
        }).ToList();
        int[] lengths = [.. examples.Select(e => e.InputIds.Length)];
        int[] Order(bool grouped)
        {
            var order = grouped ? new EpochOrder(count, 42, lengths, Batch) : new EpochOrder(count, 42);
            return [.. Enumerable.Range(0, count).Select(k => order[k])];
        }
        var plain = Order(grouped: false);
        var grouped = Order(grouped: true);
        // The same batch positions of each order: a fair sample of the epoch, not its longest first batch.
        var positions = Enumerable.Range(0, count / Batch).OrderBy(_ => random.Next()).Take(steps).ToArray();
        var layouts = new (string Name, int[] Order, bool Pack)[] { ("plain", plain, false), ("group_by_length", grouped, false), ("packing", plain, true) };
        var measured = layouts.Select(l => (l.Name, Padding: Padding(examples, l.Order, l.Pack), Rate: TokensPerSecond(shape, examples, l.Order, l.Pack, positions))).ToList();
        log($"batch layout ({steps} steps each, batch {Batch}): " + string.Join("; ", measured.Select(m => $"{m.Name} padding {m.Padding:P1}, {m.Rate:F0} real tokens/s")));
        var baseline = measured[0];
        return measured.Skip(1).Select(m => new BenchRow("training", $"{m.Name} on a LLaVA-like length mix: real (unpadded) tokens/s vs plain batches of {Batch}", "tokens/s", m.Rate, "plain shuffled batches", baseline.Rate, null,
            $"padding fraction of the epoch {baseline.Padding:P1} -> {m.Padding:P1}")).ToList();
    }

    static TrainingBatch Make(List<TrainingExample> examples, int[] order, int position, bool pack) =>
        TrainingBatch.Create([.. order.Skip(position * Batch).Take(Batch).Select(i => examples[i])], new NoImages(), pack);

    static double Padding(List<TrainingExample> examples, int[] order, bool pack)
    {
        long slots = 0, real = 0;
        for (int p = 0; p < order.Length / Batch; p++)
        {
            var batch = Make(examples, order, p, pack);
            slots += (long)batch.Rows * batch.Length;
            real += batch.Tokens;
        }
        return 1 - (double)real / slots;
    }

    static double TokensPerSecond(StepShape shape, List<TrainingExample> examples, int[] order, bool pack, int[] positions)
    {
        torch.manual_seed(1);
        using var model = (shape with { Vocab = 32000 }).Build(imageTokenId: 31999); // never drawn: ids are in [1000, 30000), padding is 0
        model.train();
        using var optimizer = new AdamW([new ParamGroup([.. model.LanguageModel.parameters()], 1e-4, 0)]);
        double seconds = 0;
        long tokens = 0;
        for (int p = -1; p < positions.Length; p++)
        {
            var batch = Make(examples, order, p < 0 ? positions[0] : positions[p], pack);
            double step;
            using (var scope = NewDisposeScope())
            {
                var (ids, keep, labels, _) = batch.ToTensors(CPU);
                step = BenchStep.Run(model, optimizer, ids, keep, labels);
            }
            if (p < 0) continue; // warm-up
            seconds += step;
            tokens += batch.Tokens;
        }
        return tokens / seconds;
    }
}
