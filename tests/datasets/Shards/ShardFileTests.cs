using Parquet;
using Vlm.Datasets.Shards;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.Shards;

public class ShardFileTests
{
    static List<ShardRow> Rows(int count) => Enumerable.Range(0, count).Select(i => new ShardRow
    {
        Id = $"r{i}",
        Source = "llava:detail_23k.json",
        Image = i % 3 == 0 ? null : $"train2017/{i:D12}.jpg",
        ImageSha256 = i % 3 == 0 ? null : new string('a', 64),
        InputIds = [151644, 8948, i],
        Labels = [-100, -100, i],
        NumImageTokens = i % 3 == 0 ? 0 : 256,
        Text = $"<|im_start|>system 中文 {i}",
    }).ToList();

    [Fact]
    public async Task Rows_round_trip_with_every_column()
    {
        using var temp = new TempFolder();
        var rows = Rows(7);
        await ShardFile.WriteAsync(temp.File("s.parquet"), rows);
        var back = await ShardFile.ReadAsync(temp.File("s.parquet"));
        Assert.Equal(7, back.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i].Id, back[i].Id);
            Assert.Equal(rows[i].Source, back[i].Source);
            Assert.Equal(rows[i].Image, back[i].Image);
            Assert.Equal(rows[i].ImageSha256, back[i].ImageSha256);
            Assert.Equal(rows[i].InputIds, back[i].InputIds);
            Assert.Equal(rows[i].Labels, back[i].Labels);
            Assert.Equal(rows[i].NumImageTokens, back[i].NumImageTokens);
            Assert.Equal(rows[i].Text, back[i].Text);
        }
    }

    [Fact]
    public async Task Columns_carry_hugging_face_names_and_rows_are_split_into_row_groups()
    {
        using var temp = new TempFolder();
        await ShardFile.WriteAsync(temp.File("s.parquet"), Rows(10), rowGroupSize: 4);
        await using var reader = await ParquetReader.CreateAsync(temp.File("s.parquet"));
        Assert.Equal(3, reader.RowGroupCount);
        Assert.Equal(new[] { "id", "source", "image", "image_sha256", "input_ids", "labels", "num_image_tokens", "text" },
            reader.Schema.Fields.Select(f => f.Name));
    }

    [Fact]
    public async Task The_same_rows_give_the_same_bytes()
    {
        using var temp = new TempFolder();
        string a = await ShardFile.WriteAsync(temp.File("a.parquet"), Rows(20));
        string b = await ShardFile.WriteAsync(temp.File("b.parquet"), Rows(20));
        Assert.Equal(a, b);
        Assert.Equal(a, await ShardFile.HashAsync(temp.File("a.parquet")));
    }

    [Fact]
    public async Task A_failed_write_leaves_the_previous_shard_intact_and_no_temporary_file()
    {
        using var temp = new TempFolder();
        await ShardFile.WriteAsync(temp.File("s.parquet"), Rows(3));
        var before = await File.ReadAllBytesAsync(temp.File("s.parquet"));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ShardFile.WriteAsync(temp.File("s.parquet"), Rows(3), cancellation: cancelled.Token));
        Assert.Equal(before, await File.ReadAllBytesAsync(temp.File("s.parquet")));
        Assert.Single(Directory.GetFiles(temp.Path));
    }
}
