using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Models;

[Collection(TorchRandomCollection.Name)]
public class LoraAdapterTests
{
    static readonly LoraOptions Qwen2Targets = new() { Rank = 4, Alpha = 8, Dropout = 0, TargetModules = "q_proj|v_proj|gate_proj" };

    static void Perturb(nn.Module model)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters().Where(p => p.name.Contains("lora_B"))) p.add_(randn_like(p) * 0.1);
    }

    [Fact]
    public void Adapters_go_on_matching_layers_only_and_freeze_their_base()
    {
        using var model = TinyModels.Vlm();
        var names = LoraLayers.Add(model.LanguageModel, Qwen2Targets);
        Assert.Equal(6, names.Count); // 2 layers x (q_proj, v_proj, gate_proj)
        Assert.Contains("model.layers.0.self_attn.q_proj", names);
        var trainable = model.LanguageModel.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Contains("model.layers.0.self_attn.q_proj.lora_A.weight", trainable);
        Assert.DoesNotContain("model.layers.0.self_attn.q_proj.weight", trainable);
    }

    [Fact]
    public void A_regex_matches_whole_module_names_as_peft_does()
    {
        using var model = TinyModels.Vlm();
        var names = LoraLayers.Add(model.LanguageModel, Qwen2Targets with { TargetModules = @"model\.layers\.1\.self_attn\.(q|k)_proj" });
        Assert.Equal(["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.k_proj"], names);
    }

    [Fact]
    public void Without_targets_a_run_takes_the_llms_own()
    {
        using var model = TinyModels.Vlm();
        var options = new Vlm.Trainers.Training.VlmTrainerOptions { LlmPath = "llm", VisionPath = "vision", ImageRoot = ".", OutputDir = "out" };
        Assert.Equal("q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj", options.LoraSettings(model.LanguageModel).TargetModules);
        Assert.Equal("q_proj", (options with { TargetModules = "q_proj" }).LoraSettings(model.LanguageModel).TargetModules);
    }

    [Fact]
    public void Targets_that_match_nothing_are_an_error_listing_the_layers()
    {
        using var model = TinyModels.Vlm();
        var e = Assert.Throws<ArgumentException>(() => LoraLayers.Add(model.LanguageModel, new LoraOptions()));
        Assert.Contains("c_attn|w1|w2", e.Message);
        Assert.Contains("q_proj", e.Message);
    }

    [Fact]
    public void A_fresh_adapter_changes_nothing_and_merge_then_unmerge_is_exact_enough()
    {
        using var model = TinyModels.Vlm();
        var ids = tensor(new long[] { 1, 2, 3, 4, 5 }).unsqueeze(0);
        using var _ = no_grad();
        var before = model.LanguageModel.forward(ids);
        LoraLayers.Add(model.LanguageModel, Qwen2Targets);
        Assert.True(model.LanguageModel.forward(ids).allclose(before));
        Perturb(model.LanguageModel);
        var adapted = model.LanguageModel.forward(ids);
        Assert.False(adapted.allclose(before, atol: 1e-4));
        var layers = model.LanguageModel.modules().OfType<LoraLinear>().ToList();
        layers.ForEach(l => l.Merge());
        Assert.True(model.LanguageModel.forward(ids).allclose(adapted, atol: 1e-5));
        layers.ForEach(l => l.Unmerge());
        Assert.True(model.LanguageModel.forward(ids).allclose(adapted, atol: 1e-5));
    }

    [Fact]
    public void Saved_adapters_use_peft_key_names_and_load_back_to_the_same_outputs()
    {
        using var folder = new TempFolder();
        using var model = TinyModels.Vlm(seed: 1);
        LoraLayers.Add(model.LanguageModel, Qwen2Targets);
        Perturb(model.LanguageModel);
        VlmModelFolder.WriteAdapter(model.LanguageModel, folder.Path, Qwen2Targets, "tiny-qwen2");

        using (var file = SafetensorsFile.Open(Path.Combine(folder.Path, VlmModelFolder.AdapterWeightsFile)))
        {
            Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", file.Names);
            Assert.Equal(12, file.Names.Count());
        }
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Path, VlmModelFolder.AdapterConfigFile)))!;
        Assert.Equal("LORA", (string?)config["peft_type"]);
        Assert.Equal(4, (int?)config["r"]);

        using var reloaded = TinyModels.Vlm(seed: 1);
        VlmModelFolder.ReadAdapter(reloaded.LanguageModel, folder.Path);
        var ids = tensor(new long[] { 1, 2, 3, 4, 5 }).unsqueeze(0);
        using var _ = no_grad();
        Assert.True(reloaded.LanguageModel.forward(ids).allclose(model.LanguageModel.forward(ids)));
    }

    [Fact]
    public void Adapter_keys_with_peft_s_older_adapter_name_load_too()
    {
        using var folder = new TempFolder();
        using var model = TinyModels.Vlm(seed: 1);
        LoraLayers.Add(model.LanguageModel, Qwen2Targets);
        Perturb(model.LanguageModel);
        VlmModelFolder.WriteAdapter(model.LanguageModel, folder.Path, Qwen2Targets, null);
        string weights = Path.Combine(folder.Path, VlmModelFolder.AdapterWeightsFile);
        var renamed = new Dictionary<string, Tensor>();
        using (var file = SafetensorsFile.Open(weights))
            foreach (var name in file.Names) renamed[name.Replace(".lora_A.", ".lora_A.default.").Replace(".lora_B.", ".lora_B.default.")] = file.Read(name);
        SafetensorsWriter.Write(weights, renamed);

        using var reloaded = TinyModels.Vlm(seed: 1);
        VlmModelFolder.ReadAdapter(reloaded.LanguageModel, folder.Path);
        var ids = tensor(new long[] { 1, 2, 3 }).unsqueeze(0);
        using var _ = no_grad();
        Assert.True(reloaded.LanguageModel.forward(ids).allclose(model.LanguageModel.forward(ids)));
    }
}
