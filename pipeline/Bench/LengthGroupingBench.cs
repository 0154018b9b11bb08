using TorchSharp;
using Vlm.Trainers.Training;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// <c>group_by_length</c> on a LLaVA-like length mix (60% caption rows of 80-200 tokens, 30% answers
/// of 300-700, 10% reasoning rows of 1,000-2,000): the padding fraction of a whole epoch in batches
/// of 4, and the real (unpadded) tokens/s of training steps on the same batch positions of each order.
/// </summary>
internal static class LengthGroupingBench
{
    public static IEnumerable<BenchRow> Run(StepShape shape, bool quick, Action<string> log)
    {
        const int batch = 4;
        int count = quick ? 64 : 400, steps = quick ? 2 : 6, scale = quick ? 8 : 1;
        var random = new Random(11);
        int[] lengths = [.. Enumerable.Range(0, count).Select(_ => random.NextDouble() switch
        {
            < 0.6 => random.Next(80, 200),
            < 0.9 => random.Next(300, 700),
            _ => random.Next(1000, 2000),
        } / scale)];
        int[] Order(bool grouped)
        {
            var order = grouped ? new EpochOrder(count, 42, lengths, batch) : new EpochOrder(count, 42);
            return [.. Enumerable.Range(0, count).Select(k => order[k])];
        }
        var plain = Order(grouped: false);
        var grouped = Order(grouped: true);
        // The same batch positions of each order: a fair sample of the epoch, not its longest first batch.
        var positions = Enumerable.Range(0, count / batch).OrderBy(_ => random.Next()).Take(steps).ToArray();
        double plainPadding = Padding(plain, lengths, batch), groupedPadding = Padding(grouped, lengths, batch);
        double plainRate = TokensPerSecond(shape, plain, lengths, batch, positions), groupedRate = TokensPerSecond(shape, grouped, lengths, batch, positions);
        log($"group_by_length: padding {plainPadding:P1} -> {groupedPadding:P1}; real tokens/s {plainRate:F0} -> {groupedRate:F0} ({steps} steps each, batch {batch})");
        return
        [
            new("training", $"group_by_length on a LLaVA-like length mix: real (unpadded) tokens/s grouped vs plain batches of {batch}", "tokens/s", groupedRate, "plain shuffled batches", plainRate, null,
                $"padding fraction of the epoch {plainPadding:P1} -> {groupedPadding:P1}"),
        ];
    }

    static double Padding(int[] order, int[] lengths, int batch)
    {
        long padded = 0, real = 0;
        foreach (var b in order.Chunk(batch))
        {
            padded += (long)b.Max(i => lengths[i]) * b.Length;
            real += b.Sum(i => lengths[i]);
        }
        return 1 - (double)real / padded;
    }

    static double TokensPerSecond(StepShape shape, int[] order, int[] lengths, int batch, int[] positions)
    {
        torch.manual_seed(1);
        using var model = (shape with { Vocab = 32000 }).Build();
        model.train();
        using var optimizer = new AdamW([new ParamGroup([.. model.LanguageModel.parameters()], 1e-4, 0)]);
        double seconds = 0;
        long tokens = 0;
        for (int p = -1; p < positions.Length; p++)
        {
            var rows = order.Skip((p < 0 ? positions[0] : positions[p]) * batch).Take(batch).ToArray();
            int width = rows.Max(i => lengths[i]);
            double step;
            using (var scope = NewDisposeScope())
            {
                // Right-padded as the trainer pads: padding masked out of attention and of the loss.
                var ids = randint(1000, 30000, [rows.Length, width]);
                var keep = tensor(rows.SelectMany(i => Enumerable.Range(0, width).Select(t => t < lengths[i] ? 1L : 0L)).ToArray(), [rows.Length, width]);
                step = BenchStep.Run(model, optimizer, ids, keep, ids.masked_fill(keep.eq(0L), -100L));
            }
            if (p < 0) continue; // warm-up
            seconds += step;
            tokens += rows.Sum(i => lengths[i]);
        }
        return tokens / seconds;
    }
}
