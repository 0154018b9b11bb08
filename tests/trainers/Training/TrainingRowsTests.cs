using Vlm.Tests.TestSupport;
using Vlm.Trainers.Training;

namespace Vlm.Tests.Trainers.Training;

/// <summary>The training rows kept in a file: every row back as written, in any order, from any thread; the file gone after.</summary>
public class TrainingRowsTests : IDisposable
{
    readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    static TrainingExample Row(Random random, int index)
    {
        int length = random.Next(0, 3) == 0 ? random.Next(1, 4) : random.Next(50, 400);
        int[] ids = [.. Enumerable.Range(0, length).Select(_ => random.Next(0, 151_936))];
        int[] labels = [.. ids.Select(id => random.Next(0, 3) == 0 ? -100 : id)];
        // Text-only rows, an empty image name, non-ASCII names and rows with and without an image hash.
        string? image = (index % 5) switch { 0 => null, 1 => "", 2 => $"images/猫-{index}.jpg", _ => $"coco/{index:D12}.jpg" };
        string? sha = index % 3 == 0 ? null : Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())) + new string('0', 48);
        return new TrainingExample(ids, labels, image, sha);
    }

    static void AssertSame(TrainingExample expected, TrainingExample actual)
    {
        Assert.Equal(expected.InputIds, actual.InputIds);
        Assert.Equal(expected.Labels, actual.Labels);
        Assert.Equal(expected.Image, actual.Image);
        Assert.Equal(expected.ImageSha256, actual.ImageSha256);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 500)]
    public async Task Rows_read_back_in_a_shuffled_order_from_several_threads_equal_the_rows_written(int seed, int count)
    {
        var random = new Random(seed);
        var written = Enumerable.Range(0, count).Select(i => Row(random, i)).ToList();
        using var rows = new TrainingRows(_folder.Path);
        foreach (var row in written) rows.Add(row.InputIds, row.Labels, row.Image, row.ImageSha256);

        Assert.Equal(count, rows.Count);
        Assert.Equal(written.Select(r => r.InputIds.Length), rows.Lengths);
        int[] order = [.. Enumerable.Range(0, count)];
        random.Shuffle(order);
        var read = new TrainingExample[count];
        await Parallel.ForEachAsync(order, new ParallelOptions { MaxDegreeOfParallelism = 4 }, (i, _) =>
        {
            read[i] = rows[i];
            return ValueTask.CompletedTask;
        });
        for (int i = 0; i < count; i++) AssertSame(written[i], read[i]);
    }

    [Fact]
    public void The_file_is_deleted_when_the_rows_are_disposed_and_nothing_is_added_after_reading()
    {
        string file;
        using (var rows = new TrainingRows(_folder.Path))
        {
            rows.Add([1, 2, 3], [-100, 2, 3], "a.png");
            file = rows.FilePath;
            Assert.True(File.Exists(file));
            Assert.Equal([1, 2, 3], rows[0].InputIds);
            Assert.Throws<InvalidOperationException>(() => rows.Add([4], [4], null));
            Assert.Throws<ArgumentOutOfRangeException>(() => rows[1]);
        }
        Assert.False(File.Exists(file));
        using var other = new TrainingRows(_folder.Path);
        Assert.Throws<ArgumentException>(() => other.Add([1, 2], [1], null));
    }
}
