using Vlm.Trainers.Training;

namespace Vlm.Tests.Trainers.Training;

/// <summary>The trainer's bounded look-ahead of batches: in order, at most the given number loading ahead, waits measured.</summary>
public class BatchQueueTests
{
    static TrainingBatch Batch(int step, int micro) => new([step, micro], [1, 1], [-100, -100], rows: 1, length: 2, pixels: null, images: 0, examples: 1);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Batches_come_in_step_and_micro_batch_order_from_the_start_step(int workers)
    {
        var started = new System.Collections.Concurrent.ConcurrentBag<(int, int)>();
        var queue = new BatchQueue<TrainingBatch>((step, micro) => { started.Add((step, micro)); return Batch(step, micro); }, start: 2, total: 5, accumulation: 2, workers);
        var seen = new List<(int, int)>();
        for (int i = 0; i < 6; i++)
        {
            var (batch, _) = queue.Take();
            var (ids, _, _, _) = batch.ToTensors(TorchSharp.torch.CPU);
            seen.Add(((int)ids[0, 0].item<long>(), (int)ids[0, 1].item<long>()));
        }
        queue.WaitAll();
        Assert.Equal([(2, 0), (2, 1), (3, 0), (3, 1), (4, 0), (4, 1)], seen);
        Assert.Equal(6, started.Count); // nothing past the last step is loaded
    }

    [Fact]
    public void At_most_the_given_number_of_batches_load_ahead_and_a_slow_load_shows_as_waiting()
    {
        int running = 0, most = 0;
        var queue = new BatchQueue<TrainingBatch>((step, micro) =>
        {
            int now = Interlocked.Increment(ref running);
            lock (this) most = Math.Max(most, now);
            Thread.Sleep(step == 0 ? 0 : 30);
            Interlocked.Decrement(ref running);
            return Batch(step, micro);
        }, start: 0, total: 12, accumulation: 1, workers: 2);
        double waited = 0;
        for (int i = 0; i < 12; i++) waited += queue.Take().WaitSeconds; // no step time: the loads cannot keep up
        Assert.InRange(most, 1, 2);
        Assert.True(waited > 0.1, $"waited {waited:F3} s");
    }
}
