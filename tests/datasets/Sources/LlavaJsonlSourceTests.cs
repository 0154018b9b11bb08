using Vlm.Datasets.Sources;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.Sources;

public class LlavaJsonlSourceTests
{
    [Fact]
    public void Reads_one_record_per_line_skipping_blank_lines_and_rejecting_bad_ones()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("a.jsonl"),
            "{\"id\": \"1\", \"image\": \"1.jpg\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}\r\n" +
            "\n" +
            "{\"id\": \"2\", \"conversations\": \n" +
            "{\"id\": 3, \"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}");
        var items = LlavaJsonlSource.Read(temp.File("a.jsonl")).ToList();
        Assert.Equal(3, items.Count);
        Assert.Equal("1", items[0].Id);
        Assert.False(items[0].IsRejected);
        Assert.Equal(2, items[1].Index);
        Assert.StartsWith("malformed JSON", items[1].RejectReason);
        Assert.Equal("3", items[2].Record!.Id);
    }

    [Fact]
    public void A_missing_file_is_reported_by_name()
    {
        var e = Assert.Throws<FileNotFoundException>(() => LlavaJsonlSource.Read("/nonexistent/a.jsonl").ToList());
        Assert.Contains("/nonexistent/a.jsonl", e.Message);
    }
}
