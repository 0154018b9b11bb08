using Vlm.Datasets.Synthetic;
using Vlm.Datasets.Tokenizers;
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

    [Fact]
    public void Every_setting_given_in_yaml_or_as_a_flag_makes_the_same_run()
    {
        using var folder = new TempFolder();
        ShapesDataset.Write(folder.File("data"), 6);
        // Every shared setting away from its default.
        var values = new Dictionary<string, string>
        {
            ["tokenizer"] = BuiltInTokenizer.Folder, ["template"] = "qwen2", ["system_prompt"] = "Be brief.", ["image_tokens"] = "8",
            ["first_turn_only"] = "true", ["split_special_tokens"] = "true", ["max_length"] = "300", ["length_policy"] = "truncate",
            ["seed"] = "3", ["records_per_shard"] = "4", ["max_image_pixels"] = "1000000", ["duplicate_ids"] = "reject", ["allow_partial"] = "true",
        };
        Assert.Equal(Vlm.Pipeline.Config.EtlSettings.All.Select(s => s.Name).Order(), values.Keys.Order());
        File.WriteAllText(folder.File("etl.yaml"), $"""
            output: yaml-out
            sources:
              - format: llava
                annotations: data/llava.json
                images: data/images
            {string.Join("\n", values.Select(v => $"{v.Key}: \"{v.Value}\""))}
            """);
        var (code, _, err) = Run("--config", folder.File("etl.yaml"));
        Assert.True(code == 0, err);
        var flags = new List<string> { "--format", "llava", "--annotations", folder.File("data/llava.json"), "--images", folder.File("data/images"), "--output", folder.File("flag-out") };
        foreach (var setting in Vlm.Pipeline.Config.EtlSettings.All)
            flags.AddRange(setting.IsFlag ? [$"--{setting.Name}"] : [$"--{setting.Name}", values[setting.Name]]);
        (code, _, err) = Run([.. flags]);
        Assert.True(code == 0, err);

        string Config(string output) => System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder.File(output), EtlManifest.FileName)))!["config"]!
            .ToJsonString().Replace(folder.File(output), "OUT");
        Assert.Equal(Config("flag-out"), Config("yaml-out"));
        Assert.Contains("\"max_length\":300", Config("yaml-out"));
        Assert.Contains("\"system_prompt\":\"Be brief.\"", Config("yaml-out"));
    }

    [Fact]
    public void A_bad_value_names_the_file_line_and_key_in_yaml_and_is_a_usage_error_as_a_flag()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("etl.yaml"), "output: out\nsources:\n  - format: llava\n    annotations: a.json\n    images: .\nlength_policy: cut\n");
        var (code, _, err) = Run("--config", folder.File("etl.yaml"));
        Assert.Equal(1, code);
        Assert.Contains($"{folder.File("etl.yaml")}: line 6: length_policy must be drop or truncate, not 'cut'", err);

        (code, _, err) = Run("--format", "llava", "--annotations", "a.json", "--images", ".", "--output", folder.File("out"), "--length_policy", "cut");
        Assert.Equal(2, code);
        Assert.Contains("--length_policy must be drop or truncate, not 'cut'", err);
        Assert.False(Directory.Exists(folder.File("out")));
    }
}
