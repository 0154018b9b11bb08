using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using Vlm.Trainers.Distributed;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// The collectives under a launcher (<c>mpirun -np N vlm bench --child allreduce</c>, or with
/// <c>--distributed nccl</c> under torchrun or mpirun): each rank checks that an all-reduce of
/// rank-dependent values gives their sum (also on a strided view, which goes through a copy), that a
/// broadcast gives the root's values and that the barrier returns, then times an all-reduce of a
/// gradient-sized fp32 buffer (median of several). One JSON line per rank.
/// </summary>
internal static class AllReduceBench
{
    public const string Child = "allreduce";

    /// <param name="backend">mpi or nccl (on the CPU, NCCL needs a stand-in named by VLM_NCCL_LIBRARY)</param>
    /// <param name="device">where the tensors live; null: the local rank's GPU for NCCL when CUDA is there, else the CPU</param>
    public static void RunChild(long elements, int repeats, string backend, Device? device, TextWriter output)
    {
        var launched = DistributedWorld.FromEnvironment();
        var on = device ?? (backend == "nccl" && cuda.is_available() ? new Device(DeviceType.CUDA, launched.LocalRank) : CPU);
        using var ranks = Collectives.Create(backend switch
        {
            "mpi" => DistributedBackend.Mpi,
            "nccl" => DistributedBackend.Nccl,
            _ => throw new Cli.UsageException($"--distributed {backend} is not mpi or nccl"),
        }, launched, on, fingerprint: $"allreduce {elements}");
        var world = ranks.World;
        using var values = arange(elements, dtype: float32, device: on).add_(world.Rank * 1000.0);
        ranks.AllReduceSum(values);
        // Sum over r of (i + 1000 r) = n i + 1000 n (n - 1) / 2, exact in fp32 for these sizes.
        using var expected = arange(elements, dtype: float32).mul_(world.Size).add_(1000.0 * world.Size * (world.Size - 1) / 2);
        bool sums = values.cpu().data<float>().ToArray().SequenceEqual(expected.data<float>().ToArray());
        // A strided view (every other value of a rank-valued buffer) is reduced through a copy and written back in place.
        using var strided = full(2 * 64, (double)world.Rank + 1, dtype: float64, device: on);
        ranks.AllReduceSum(strided[TensorIndex.Slice(null, null, 2)]);
        var halves = strided.cpu().data<double>().ToArray();
        sums &= halves.Where((_, i) => i % 2 == 0).All(v => v == world.Size * (world.Size + 1) / 2.0) && halves.Where((_, i) => i % 2 == 1).All(v => v == world.Rank + 1);
        using var shared = full(7, (double)world.Rank, dtype: float64, device: on);
        ranks.Broadcast(shared, root: world.Size - 1);
        bool broadcast = shared.cpu().data<double>().ToArray().All(v => v == world.Size - 1);
        ranks.Barrier();
        var times = new List<double>();
        using var buffer = ones(elements, dtype: float32, device: on);
        for (int i = 0; i < repeats; i++)
        {
            ranks.Barrier();
            var clock = Stopwatch.StartNew();
            ranks.AllReduceSum(buffer);
            if (on.type == DeviceType.CUDA) cuda.synchronize(on);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        output.WriteLine(JsonSerializer.Serialize(new { rank = world.Rank, size = world.Size, backend, sums, broadcast, elements, allreduce_ms = times[times.Count / 2] }));
    }
}
