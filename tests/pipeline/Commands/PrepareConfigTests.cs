using Vlm.Datasets.Synthetic;
using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;
using Vlm.Transforms.Etl;

namespace Vlm.Tests.Pipeline.Commands;

public class PrepareConfigTests
{
    static (int Code, string Out, string Err) Run(params string[] args) => CommandHarness.Run(new PrepareCommand(), args);

    [Fact]
    public void A_yaml_config_with_several_sources_and_relative_paths_prepares_them_all()
    {
        using var folder = new TempFolder();
        ShapesDataset.Write(folder.File("data"), 6);
        File.WriteAllText(folder.File("etl.yaml"), """
            # two sources; paths are relative to this file
            output: out
            template: qwen2
            system_prompt: You are a helpful assistant.
            image_tokens: 8
            max_length: 512
            length_policy: truncate
            seed: 7
            records_per_shard: 4
            sources:
              - format: llava
                annotations: data/llava.json
                images: data/images
              - format: aichallenger
                annotations: data/aichallenger.json
                images: data/images
            """);
        var (code, output, err) = Run("--config", folder.File("etl.yaml"));
        Assert.True(code == 0, err);
        Assert.Contains("rows 12, rejected 0", output);
        var manifest = File.ReadAllText(Path.Combine(folder.File("out"), EtlManifest.FileName));
        Assert.Contains("\"format\": \"qwen2\"", manifest);
        Assert.Contains("\"seed\": 7", manifest);
    }

    [Fact]
    public void An_unknown_key_names_the_file_and_line_and_writes_nothing()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("etl.yaml"), "output: out\nmax_lenght: 5\nsources: []\n");
        var (code, _, err) = Run("--config", folder.File("etl.yaml"));
        Assert.Equal(1, code);
        Assert.Contains($"{folder.File("etl.yaml")}: line 2", err);
        Assert.False(Directory.Exists(folder.File("out")));
    }

    [Fact]
    public void A_config_source_with_a_missing_file_stops_before_anything_is_written()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("images"));
        File.WriteAllText(folder.File("etl.yaml"), "output: out\nsources:\n  - format: coco\n    annotations: nowhere.json\n    images: images\n");
        var (code, _, err) = Run("--config", folder.File("etl.yaml"));
        Assert.Equal(1, code);
        Assert.Contains("nowhere.json: no such annotation file", err);
        Assert.False(Directory.Exists(folder.File("out")));
    }

    [Fact]
    public void Config_and_one_source_options_together_are_a_usage_error()
    {
        var (code, _, err) = Run("--config", "etl.yaml", "--format", "llava");
        Assert.Equal(2, code);
        Assert.Contains("drop --format", err);
    }

    [Fact]
    public void Without_config_the_one_source_options_are_required()
    {
        var (code, _, err) = Run("--format", "llava");
        Assert.Equal(2, code);
        Assert.Contains("--annotations is required (or give --config)", err);
    }
}
