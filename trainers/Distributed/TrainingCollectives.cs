using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Distributed;

/// <summary>What the trainer does with the collectives: scalar sums, the start from rank 0's weights, the gradient reduction, the random states for a checkpoint.</summary>
internal static class TrainingCollectives
{
    /// <summary>The sum of <paramref name="value"/> over the ranks.</summary>
    public static double Sum(this ICollectives collectives, double value)
    {
        if (!collectives.World.IsDistributed) return value;
        using var t = tensor(new[] { value });
        collectives.AllReduceSum(t);
        return t.item<double>();
    }

    /// <summary>
    /// Refuses to start when ranks differ in their configuration (<paramref name="fingerprint"/>: options, trainable names and
    /// shapes), every rank at once, then gives every rank rank 0's trainable weights.
    /// </summary>
    public static void StartFromRankZero(this ICollectives collectives, IReadOnlyList<(string Name, Parameter Parameter)> trainable, string fingerprint)
    {
        if (!collectives.World.IsDistributed) return;
        var text = new StringBuilder(fingerprint);
        foreach (var (name, p) in trainable) text.Append('\n').Append(name).Append(' ').Append(string.Join('x', p.shape)).Append(' ').Append(p.dtype);
        collectives.SameOnEveryRank(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())),
            "started with another configuration than rank 0 (options, model or trainable parts); every rank needs the same command");
        using var _ = no_grad();
        foreach (var (_, p) in trainable)
        {
            using var data = p.detach();
            collectives.Broadcast(data, root: 0);
        }
    }

    /// <summary>Throws on every rank (none is left waiting) when <paramref name="hash"/> is not rank 0's on some rank.</summary>
    public static void SameOnEveryRank(this ICollectives collectives, byte[] hash, string differs)
    {
        if (!collectives.World.IsDistributed) return;
        using var shared = tensor(hash.Select(b => (double)b).ToArray());
        collectives.Broadcast(shared, root: 0);
        bool same = shared.data<double>().ToArray().Select(v => (byte)v).SequenceEqual(hash);
        if (collectives.Sum(same ? 0 : 1) is var differing and > 0)
            throw new InvalidOperationException(same ? $"{differing:0} other rank(s) {differs}" : $"rank {collectives.World.Rank} {differs}");
    }

    /// <summary>Checks that the trainable weights are bitwise the same on every rank (they are reduced and stepped alike, so they must be).</summary>
    public static void CheckWeightsAgree(this ICollectives collectives, IReadOnlyList<(string Name, Parameter Parameter)> trainable)
    {
        if (!collectives.World.IsDistributed) return;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, p) in trainable)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            using var cpu = p.detach().cpu().contiguous();
            hash.AppendData(cpu.bytes);
        }
        collectives.SameOnEveryRank(hash.GetHashAndReset(), "ended with other trainable weights than rank 0: the ranks diverged");
    }

    /// <summary>
    /// Sums the trainable gradients over the ranks, in buckets of at most <paramref name="bucketElements"/> values
    /// (fp32). A parameter that had no gradient on any rank keeps none, as in one process; one that had a gradient
    /// on some ranks gets the sum with zeros for the others.
    /// </summary>
    public static void AllReduceGradients(this ICollectives collectives, IReadOnlyList<Parameter> parameters, long bucketElements = 1 << 24)
    {
        if (!collectives.World.IsDistributed) return;
        using var present = tensor(parameters.Select(p => p.grad is null ? 0f : 1f).ToArray());
        collectives.AllReduceSum(present);
        var flags = present.data<float>().ToArray();
        var withGradient = parameters.Where((_, i) => flags[i] > 0).ToList();
        using var _ = no_grad();
        for (int first = 0; first < withGradient.Count;)
        {
            int last = first;
            long size = withGradient[first].numel();
            while (last + 1 < withGradient.Count && size + withGradient[last + 1].numel() <= bucketElements) size += withGradient[++last].numel();
            var bucket = withGradient.GetRange(first, last - first + 1);
            using var scope = NewDisposeScope();
            var flat = cat(bucket.Select(p => (p.grad ?? zeros_like(p)).detach().reshape(-1).to(float32)).ToList());
            collectives.AllReduceSum(flat);
            long offset = 0;
            foreach (var p in bucket)
            {
                var summed = flat.narrow(0, offset, p.numel()).view_as(p).to(p.dtype);
                if (p.grad is { } grad) grad.copy_(summed);
                else p.grad = summed.clone().MoveToOuterDisposeScope();
                offset += p.numel();
            }
            first = last + 1;
        }
    }

    /// <summary>Every rank's random state (each rank's generator advances on its own data), rank r's at index r.</summary>
    public static IReadOnlyList<Tensor> RandomStates(this ICollectives collectives)
    {
        var mine = torch.random.get_rng_state();
        if (!collectives.World.IsDistributed) return [mine];
        var states = new List<Tensor>();
        for (int rank = 0; rank < collectives.World.Size; rank++)
        {
            var state = rank == collectives.World.Rank ? mine.clone() : zeros_like(mine);
            collectives.Broadcast(state, root: rank);
            states.Add(state);
        }
        mine.Dispose();
        return states;
    }
}
