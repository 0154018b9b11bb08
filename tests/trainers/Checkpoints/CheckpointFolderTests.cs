using TorchSharp;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;

namespace Vlm.Tests.Trainers.Checkpoints;

public class CheckpointFolderTests
{
    static void WriteConfig(TempFolder folder) =>
        File.WriteAllText(folder.File("config.json"), """{"model_type":"qwen2","hidden_size":64,"tie_word_embeddings":false}""");

    [Fact]
    public void Loads_a_single_file_checkpoint_with_its_config()
    {
        using var folder = new TempFolder();
        using var scope = torch.NewDisposeScope();
        WriteConfig(folder);
        SafetensorsWriter.Write(folder.File("model.safetensors"), new Dictionary<string, torch.Tensor> { ["lm_head.weight"] = torch.ones(4, 2) });
        using var checkpoint = CheckpointFolder.Open(folder.Path);
        Assert.Equal(64, checkpoint.Config.Int("hidden_size"));
        Assert.False(checkpoint.Config.Bool("tie_word_embeddings"));
        Assert.Equal("qwen2", checkpoint.Config.String("model_type"));
        Assert.Equal(new long[] { 4, 2 }, checkpoint.Load("lm_head.weight").shape);
    }

    [Fact]
    public void Loads_tensors_from_every_shard_named_by_the_index()
    {
        using var folder = new TempFolder();
        using var scope = torch.NewDisposeScope();
        WriteConfig(folder);
        SafetensorsWriter.Write(folder.File("model-00001-of-00002.safetensors"), new Dictionary<string, torch.Tensor> { ["a"] = torch.full(2, 1f) });
        SafetensorsWriter.Write(folder.File("model-00002-of-00002.safetensors"), new Dictionary<string, torch.Tensor> { ["b"] = torch.full(3, 2f) });
        File.WriteAllText(folder.File("model.safetensors.index.json"),
            """{"metadata":{"total_size":20},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}""");
        using var checkpoint = CheckpointFolder.Open(folder.Path);
        Assert.Equal(new[] { "a", "b" }, checkpoint.Names.Order());
        Assert.Equal(2f, checkpoint.Load("b", device: torch.CPU)[0].item<float>());
        Assert.Equal(torch.ScalarType.Float16, checkpoint.Load("a", torch.float16).dtype);
    }

    [Fact]
    public void An_index_naming_a_missing_shard_fails_naming_index_tensor_and_shard()
    {
        using var folder = new TempFolder();
        WriteConfig(folder);
        File.WriteAllText(folder.File("model.safetensors.index.json"), """{"weight_map":{"a":"model-00001-of-00002.safetensors"}}""");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Open(folder.Path));
        Assert.Equal(folder.File("model.safetensors.index.json"), e.FilePath);
        Assert.Equal("a", e.TensorName);
        Assert.Contains("names shard 'model-00001-of-00002.safetensors', which does not exist", e.Reason);
    }

    [Fact]
    public void An_index_naming_a_shard_outside_the_folder_is_refused()
    {
        using var folder = new TempFolder();
        WriteConfig(folder);
        File.WriteAllText(folder.File("model.safetensors.index.json"), """{"weight_map":{"a":"../../etc/passwd"}}""");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Open(folder.Path));
        Assert.Contains("is not a file name in the checkpoint folder", e.Reason);
    }

    [Fact]
    public void A_tensor_missing_from_the_shard_the_index_names_is_reported()
    {
        using var folder = new TempFolder();
        using var scope = torch.NewDisposeScope();
        WriteConfig(folder);
        SafetensorsWriter.Write(folder.File("s1.safetensors"), new Dictionary<string, torch.Tensor> { ["a"] = torch.ones(1) });
        File.WriteAllText(folder.File("model.safetensors.index.json"), """{"weight_map":{"a":"s1.safetensors","b":"s1.safetensors"}}""");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Open(folder.Path));
        Assert.Equal("b", e.TensorName);
    }

    [Fact]
    public void A_folder_without_config_is_reported()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => CheckpointFolder.Open(folder.Path));
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void A_corrupt_config_is_reported_with_its_path()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("config.json"), "{ not json");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Open(folder.Path));
        Assert.Equal(folder.File("config.json"), e.FilePath);
    }

    [Fact]
    public void Asking_for_an_absent_tensor_names_the_folder_and_tensor()
    {
        using var folder = new TempFolder();
        using var scope = torch.NewDisposeScope();
        WriteConfig(folder);
        SafetensorsWriter.Write(folder.File("model.safetensors"), new Dictionary<string, torch.Tensor> { ["a"] = torch.ones(1) });
        using var checkpoint = CheckpointFolder.Open(folder.Path);
        var e = Assert.Throws<KeyNotFoundException>(() => checkpoint.Load("missing"));
        Assert.Contains("'missing'", e.Message);
    }
}
