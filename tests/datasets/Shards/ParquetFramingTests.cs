using Vlm.Datasets.Shards;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.Shards;

public class ParquetFramingTests
{
    static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", "shards", name);

    [Fact]
    public async Task A_shard_written_here_passes()
    {
        using var folder = new TempFolder();
        string path = folder.File("shard.parquet");
        await ShardFile.WriteAsync(path, [new ShardRow { Id = "a", Source = "s", InputIds = [1, 2], Labels = [-100, 2], Text = "t" }]);
        ParquetFraming.Check(path);
    }

    [Fact]
    public void A_footer_that_sent_the_parquet_reader_into_an_endless_loop_is_refused()
    {
        // Found by the shard fuzzer: one struct field of type 0 near the footer's end; Parquet.Net's reader never returned.
        string path = Data("footer-with-a-type-0-field.parquet");
        var e = Assert.Throws<InvalidDataException>(() => ParquetFraming.Check(path));
        Assert.Contains($"{path}: not a readable Parquet file: the footer is not well-formed (unknown type 0", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { }, "0 bytes is too short")]
    [InlineData(new byte[] { 0x50, 0x41, 0x52, 0x31, 0, 0, 0, 0, 0, 0, 0, 0 }, "no PAR1 magic")]
    [InlineData(new byte[] { 0x50, 0x41, 0x52, 0x31, 0x19, 0xFC, 0x7F, 0x00, 4, 0, 0, 0, 0x50, 0x41, 0x52, 0x31 }, "a list size 127 with 1 bytes left")]
    [InlineData(new byte[] { 0x50, 0x41, 0x52, 0x31, 9, 9, 9, 9, 0xFF, 0, 0, 0, 0x50, 0x41, 0x52, 0x31 }, "the footer length 255 does not fit")]
    public void Broken_framing_is_refused_with_the_reason(byte[] bytes, string reason)
    {
        using var folder = new TempFolder();
        string path = folder.File("bad.parquet");
        File.WriteAllBytes(path, bytes);
        Assert.Contains(reason, Assert.Throws<InvalidDataException>(() => ParquetFraming.Check(path)).Message);
    }
}
