using System.Diagnostics;
using System.Text.Json;
using Vlm.Trainers.Distributed;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// The collectives under a launcher (<c>mpirun -np N vlm bench --child allreduce</c>): each rank checks
/// that an all-reduce of rank-dependent values gives their sum, that a broadcast gives the root's
/// values and that the barrier returns, then times an all-reduce of a gradient-sized fp32 buffer
/// (median of several). One JSON line per rank.
/// </summary>
internal static class AllReduceBench
{
    public const string Child = "allreduce";

    public static void RunChild(long elements, int repeats, TextWriter output)
    {
        using var ranks = Collectives.Create(DistributedBackend.Mpi, DistributedWorld.FromEnvironment(), cuda: false);
        var world = ranks.World;
        using var values = arange(elements, dtype: float32).add_(world.Rank * 1000.0);
        ranks.AllReduceSum(values);
        // Sum over r of (i + 1000 r) = n i + 1000 n (n - 1) / 2, exact in fp32 for these sizes.
        using var expected = arange(elements, dtype: float32).mul_(world.Size).add_(1000.0 * world.Size * (world.Size - 1) / 2);
        bool sums = values.data<float>().ToArray().SequenceEqual(expected.data<float>().ToArray());
        using var shared = full(7, (double)world.Rank, dtype: float64);
        ranks.Broadcast(shared, root: world.Size - 1);
        bool broadcast = shared.data<double>().ToArray().All(v => v == world.Size - 1);
        ranks.Barrier();
        var times = new List<double>();
        using var buffer = ones(elements, dtype: float32);
        for (int i = 0; i < repeats; i++)
        {
            ranks.Barrier();
            var clock = Stopwatch.StartNew();
            ranks.AllReduceSum(buffer);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        output.WriteLine(JsonSerializer.Serialize(new { rank = world.Rank, size = world.Size, sums, broadcast, elements, allreduce_ms = times[times.Count / 2] }));
    }
}
