using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;
using Vlm.Transforms.Shards;

namespace Vlm.Tests.Pipeline.Commands;

/// <summary>
/// Shards of several <c>vlm prepare</c> runs read together (<c>--data a,b</c>), each row's image found
/// in its own source's folder; folders tokenized differently refused.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public sealed class TrainSeveralShardFoldersTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    /// <summary>Samples under <c>{name}/</c> (their own image folder, annotations named <c>{name}.json</c>) prepared into <c>shards-{name}</c>.</summary>
    void Prepare(string name, int count, string systemPrompt = "")
    {
        Assert.Equal(0, CommandHarness.Run(new MakeSamplesCommand(), "--output", _root.File(name), "--count", count.ToString()).Code);
        File.Move(_root.File($"{name}/llava.json"), _root.File($"{name}/{name}.json"));
        var prepare = CommandHarness.Run(new PrepareCommand(), "--format", "llava", "--annotations", _root.File($"{name}/{name}.json"),
            "--images", _root.File($"{name}/images"), "--output", _root.File($"shards-{name}"), "--tokenizer", _root.File("tiny/llm"),
            "--image_tokens", "4", "--system_prompt", systemPrompt);
        Assert.True(prepare.Code == 0, prepare.Out + prepare.Err);
    }

    string[] Train(string data, string output) =>
    [
        "--data", data, "--llm", _root.File("tiny/llm"), "--vision", _root.File("tiny/vision"), "--output_dir", _root.File(output),
        "--lora_rank", "4", "--lora_dropout", "0", "--per_device_train_batch_size", "3", "--max_steps", "3", "--save_steps", "3", "--logging_steps", "1", "--seed", "11",
    ];

    [Fact]
    public void Two_prepare_runs_with_their_own_image_folders_train_together_and_cache_together()
    {
        Assert.Equal(0, CommandHarness.Run(new InitTinyCommand(), "--out", _root.File("tiny"), "--hidden", "16", "--layers", "1", "--image_size", "16", "--patch-size", "8").Code);
        Prepare("first", 4);
        Prepare("second", 5);
        // The same image names in both folders: only the row's own source tells which file it means.
        Assert.True(File.Exists(_root.File("first/images/shape_00000.png")) && File.Exists(_root.File("second/images/shape_00000.png")));
        File.Delete(_root.File("first/images/shape_00003.png")); // a row of the first run whose image is gone: found in the second folder, it would train

        var both = ShardDataView.Open(_root.File("shards-first"), _root.File("shards-second"));
        Assert.Equal(9, both.GetRowCount());
        Assert.EndsWith("first/images", both.ImageFolderOf("llava:first.json"));
        Assert.EndsWith("second/images", both.ImageFolderOf("llava:second.json"));

        string data = $"{_root.File("shards-first")},{_root.File("shards-second")}";
        var missing = CommandHarness.Run(new TrainCommand(), Train(data, "out-missing"));
        Assert.Equal(1, missing.Code);
        Assert.Contains(Path.Combine("first", "images", "shape_00003.png"), missing.Err);

        File.Copy(_root.File("second/images/shape_00003.png"), _root.File("first/images/shape_00003.png"));
        var train = CommandHarness.Run(new TrainCommand(), Train(data, "out"));
        Assert.True(train.Code == 0, train.Out + train.Err);
        var cache = CommandHarness.Run(new CacheFeaturesCommand(), "--data", data, "--vision", _root.File("tiny/vision"), "--output", _root.File("features"));
        Assert.True(cache.Code == 0, cache.Out + cache.Err);
    }

    [Fact]
    public void Folders_tokenized_with_another_template_are_refused_by_name()
    {
        Assert.Equal(0, CommandHarness.Run(new InitTinyCommand(), "--out", _root.File("tiny"), "--hidden", "16", "--layers", "1", "--image_size", "16", "--patch-size", "8").Code);
        Prepare("first", 2);
        Prepare("second", 2, systemPrompt: "You are terse.");
        var error = Assert.Throws<InvalidDataException>(() => ShardDataView.Open(_root.File("shards-first"), _root.File("shards-second")));
        Assert.Contains("shards-second", error.Message);
        Assert.Contains("chat template", error.Message);
    }
}
