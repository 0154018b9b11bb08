using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;
using Vlm.Transforms.Etl;

namespace Vlm.Tests.Pipeline.Commands;

public class PrepareCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args) => CommandHarness.Run(new PrepareCommand(), args);

    [Fact]
    public void Prepares_a_jsonl_source_with_the_built_in_tokenizer_and_prints_a_summary()
    {
        using var data = new TempFolder();
        TestImages.Write(data.File("a.png"), 10, 10);
        File.WriteAllText(data.File("train.jsonl"),
            "{\"id\": \"1\", \"image\": \"a.png\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\nWhat is it?\"}, {\"from\": \"gpt\", \"value\": \"A circle.\"}]}\n" +
            "{\"id\": \"2\", \"image\": \"../a.png\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>?\"}, {\"from\": \"gpt\", \"value\": \"x\"}]}\n");
        var (code, output, err) = Run("--format", "jsonl", "--annotations", data.File("train.jsonl"), "--images", data.Path,
            "--output", data.File("out"), "--image-tokens", "4");
        Assert.True(code == 0, err);
        Assert.Contains("rows 1, rejected 1", output);
        Assert.Contains("rejected: image path escapes the image root (1)", output);
        Assert.True(File.Exists(Path.Combine(data.File("out"), EtlManifest.FileName)));
    }

    [Fact]
    public void An_unknown_format_is_a_usage_error()
    {
        var (code, _, err) = Run("--format", "csv", "--annotations", "a", "--images", "b", "--output", "c");
        Assert.Equal(2, code);
        Assert.Contains("--format must be llava, jsonl, aichallenger or coco, not 'csv'", err);
    }

    [Fact]
    public void A_missing_annotation_file_fails_before_anything_is_written()
    {
        using var data = new TempFolder();
        var (code, _, err) = Run("--format", "llava", "--annotations", data.File("none.json"), "--images", data.Path, "--output", data.File("out"));
        Assert.Equal(1, code);
        Assert.Contains("none.json: no such annotation file", err);
        Assert.False(Directory.Exists(data.File("out")));
    }
}
