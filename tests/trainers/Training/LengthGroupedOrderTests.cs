using Vlm.Trainers.Training;

namespace Vlm.Tests.Trainers.Training;

/// <summary><c>group_by_length</c>: each epoch a permutation, batches of similar lengths, the longest first, the same order for a resumed run.</summary>
public class LengthGroupedOrderTests
{
    /// <summary>A LLaVA-like mix: mostly short caption rows, some medium answers, a few 1-2k-token reasoning rows.</summary>
    static int[] Lengths(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.NextDouble() switch
        {
            < 0.6 => random.Next(80, 200),
            < 0.9 => random.Next(300, 700),
            _ => random.Next(1000, 2000),
        })];
    }

    static int[] Epoch(EpochOrder order, int count, int epoch) => [.. Enumerable.Range(0, count).Select(k => order[(long)epoch * count + k])];

    /// <summary>Padded positions over all positions when every batch pads to its longest row.</summary>
    static double PaddingFraction(int[] order, int[] lengths, int batch)
    {
        long padded = 0, real = 0;
        foreach (var b in order.Chunk(batch))
        {
            padded += (long)b.Max(i => lengths[i]) * b.Length;
            real += b.Sum(i => lengths[i]);
        }
        return 1 - (double)real / padded;
    }

    [Fact]
    public void Every_epoch_is_a_permutation_and_a_new_instance_gives_the_same_order()
    {
        var lengths = Lengths(1000, 1);
        var order = new EpochOrder(lengths.Length, seed: 42, lengths, globalBatch: 8);
        var again = new EpochOrder(lengths.Length, seed: 42, lengths, globalBatch: 8); // a resumed run
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var e = Epoch(order, lengths.Length, epoch);
            Assert.Equal(Enumerable.Range(0, lengths.Length), e.Order());
            Assert.Equal(e, Epoch(again, lengths.Length, epoch));
        }
        Assert.NotEqual(Epoch(order, lengths.Length, 0), Epoch(order, lengths.Length, 1));
    }

    [Fact]
    public void Batches_hold_similar_lengths_and_the_longest_example_comes_first()
    {
        var lengths = Lengths(2000, 2);
        const int batch = 4;
        var grouped = Epoch(new EpochOrder(lengths.Length, 7, lengths, batch), lengths.Length, 0);
        var plain = Epoch(new EpochOrder(lengths.Length, 7), lengths.Length, 0);
        Assert.Equal(lengths.Max(), lengths[grouped[0]]);
        double before = PaddingFraction(plain, lengths, batch), after = PaddingFraction(grouped, lengths, batch);
        Assert.True(after < before / 4, $"padding {before:P1} -> {after:P1}");
        // Within a mega-batch (50 batches) lengths only fall, apart from the longest example swapped to the front.
        var first = grouped.Take(50 * batch).Skip(1).Select(i => lengths[i]).ToArray();
        Assert.True(first.Zip(first.Skip(1)).All(p => p.First >= p.Second));
    }

    [Fact]
    public void Without_lengths_the_order_is_the_plain_shuffle()
    {
        var lengths = Lengths(100, 3);
        var plain = Epoch(new EpochOrder(100, 5), 100, 0);
        var grouped = Epoch(new EpochOrder(100, 5, lengths, 4), 100, 0);
        Assert.Equal(plain.Order(), grouped.Order());
        Assert.NotEqual(plain, grouped);
    }
}
