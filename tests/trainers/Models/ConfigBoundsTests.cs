using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Estimator;

namespace Vlm.Tests.Trainers.Models;

/// <summary>Configs that do not describe their weights are refused from the headers, before anything is built, naming the file and field.</summary>
[Collection(TorchRandomCollection.Name)]
public class ConfigBoundsTests : IDisposable
{
    readonly TempFolder _root = new();
    readonly string _model;

    public ConfigBoundsTests() => _model = TestModels.WriteModelFolder(_root.Path);

    public void Dispose() => _root.Dispose();

    string Bases(string part) => _root.File(Path.Combine("bases", part));

    void Edit(string file, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        change(json);
        File.WriteAllText(file, json.ToJsonString());
    }

    CheckpointFormatException LoadFails()
    {
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<CheckpointFormatException>(() => VlmModelFolder.FromBases(Bases("llm"), Bases("vision"), imageTokenId: 5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refused after {clock.Elapsed}");
        return e;
    }

    [Theory]
    [InlineData("llm", "num_hidden_layers", 100_000, "num_hidden_layers say model.layers.99999.input_layernorm.weight is [16], but")]
    [InlineData("llm", "hidden_size", 4096, "vocab_size and hidden_size say model.embed_tokens.weight is")]
    [InlineData("llm", "intermediate_size", 1_000_000_000, "intermediate_size say model.layers.0.mlp.gate_proj.weight is [1000000000, 16]")]
    [InlineData("llm", "vocab_size", 10_000_000, "vocab_size and hidden_size say")]
    [InlineData("vision", "image_size", 100_000, "image_size and patch_size say vision_model.embeddings.position_embedding.weight is [156250001, 16]")]
    [InlineData("vision", "num_hidden_layers", 100_000, "num_hidden_layers say vision_model.encoder.layers.99999.layer_norm1.weight")]
    public void A_config_that_does_not_match_its_weights_is_refused(string part, string field, long value, string expected)
    {
        string config = Path.Combine(Bases(part), "config.json");
        Edit(config, json => json[field] = value);
        var e = LoadFails();
        Assert.Contains(config, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_model_folder_whose_image_token_count_is_not_the_towers_is_refused_before_any_prompt()
    {
        Edit(Path.Combine(_model, VlmModelFolder.SpecFile), json => json["image_token_count"] = 1_000_000_000);
        var e = Assert.Throws<InvalidDataException>(() => new MLContext().Vlm().LoadFolder(_model));
        Assert.Contains("image_token_count is 1000000000 but the vision tower gives 4 features per image", e.Message);
    }
}
