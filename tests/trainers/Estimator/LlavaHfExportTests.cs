using System.Text.Json.Nodes;
using Microsoft.ML;
using Vlm.Datasets.Tokenizers;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Lora;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Estimator;

/// <summary>The Hugging Face LLaVA export: the folder reads back into the same model, LoRA merged, with the files a processor needs.</summary>
[Collection(TorchRandomCollection.Name)]
public class LlavaHfExportTests : IDisposable
{
    readonly TempFolder _root = new();
    readonly string _model;

    public LlavaHfExportTests() => _model = TestModels.WriteModelFolder(_root.Path);

    public void Dispose() => _root.Dispose();

    [Fact]
    public void The_export_reads_back_with_the_same_logits_and_answers_with_lora_merged()
    {
        using var trained = new MLContext().Vlm().LoadFolder(_model);
        var predictor = trained.Predictor;
        LoraLayers.Add(predictor.Model.LanguageModel, new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0, TargetModules = "q_proj|down_proj" });
        LoraLayers.Add(predictor.Model.VisionTower, new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0, TargetModules = "q_proj|fc1" });
        using (no_grad())
            foreach (var (_, p) in predictor.Model.named_parameters().Where(p => p.name.Contains("lora_B"))) p.normal_(0, 0.5);
        predictor.Model.eval();
        // The tower's q_proj as it should be exported: the base plus its adapter's update, B A alpha / r.
        var towerParameters = predictor.Model.VisionTower.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        const string towerQ = "vision_model.encoder.layers.0.self_attn.q_proj.";
        var mergedQ = towerParameters[towerQ + "weight"] + towerParameters[towerQ + "lora_B.weight"].matmul(towerParameters[towerQ + "lora_A.weight"]) * 2.0;

        string folder = _root.File("hf");
        VlmModelFolder.Export(predictor, folder);

        using (var weights = CheckpointFolder.Open(folder))
        {
            Assert.DoesNotContain(weights.Names, n => n.Contains("lora_"));
            var exportedQ = weights.Load("vision_tower." + towerQ + "weight");
            Assert.True(allclose(exportedQ, mergedQ, rtol: 1e-5, atol: 1e-6), "the tower's adapter is not merged into the exported q_proj");
            Assert.False(allclose(exportedQ, towerParameters[towerQ + "weight"]), "the tower's adapter changed nothing");
            Assert.Contains("multi_modal_projector.linear_1.weight", weights.Names);
            Assert.Contains("vision_tower.vision_model.embeddings.patch_embedding.weight", weights.Names);
            Assert.Contains("language_model.model.layers.0.self_attn.q_proj.weight", weights.Names);
            Assert.DoesNotContain("language_model.lm_head.weight", weights.Names); // tied: Hugging Face re-ties it on load
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        Assert.Equal("llava", (string?)config["model_type"]);
        Assert.Equal(predictor.Model.ImageTokenId, (long)config["image_token_index"]!);
        Assert.Equal("default", (string?)config["vision_feature_select_strategy"]);
        Assert.Equal(-2, (int)config["vision_feature_layer"]!);
        Assert.Equal("qwen2", (string?)config["text_config"]!["model_type"]);
        Assert.Equal("clip_vision_model", (string?)config["vision_config"]!["model_type"]);
        var processor = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "processor_config.json")))!;
        Assert.Equal("<|image_pad|>", (string?)processor["image_token"]);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json", "chat_template.json", "generation_config.json" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file);

        using var loaded = VlmModelFolder.ReadLlava(folder);
        long image = predictor.Model.ImageTokenId;
        var ids = tensor(new long[] { 151644, image, image, image, image, 872, 198, 3838, 151645 }, [1, 9]);
        var keep = ones_like(ids);
        var pixels = randn(1, 3, 16, 16, generator: new TorchSharp.torch.Generator(5));
        using (no_grad())
        {
            var expected = predictor.Model.Logits(ids, keep, pixels);
            var actual = loaded.Logits(ids, keep, pixels);
            Assert.True(allclose(actual, expected, rtol: 1e-4, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
        }

        using var again = new VlmPredictor(loaded, predictor.Spec,
            new VlmProcessor(QwenTokenizer.Load(predictor.Spec.Tokenizer), predictor.Spec.Template, loaded.VisionTower.Config.ImageProcessor(predictor.Spec.Vision)), predictor.Generation with { MaxNewTokens = 8 });
        var question = new VlmInput { Image = _root.File("shape.png"), Prompt = "What shape is in the image?" };
        Assert.Equal(predictor.Answer(question, generation: again.Generation), again.Answer(question));
    }

    [Fact]
    public void The_command_writes_the_folder_and_refuses_other_formats()
    {
        var done = CommandHarness.Run(new ExportCommand(), "--weights", _model, "--out", _root.File("exported"));
        Assert.True(done.Code == 0, done.Out + done.Err);
        Assert.Contains("llava-hf", done.Out);
        Assert.True(File.Exists(_root.File("exported/model.safetensors")));

        var gguf = CommandHarness.Run(new ExportCommand(), "--weights", _model, "--out", _root.File("x"), "--format", "gguf");
        Assert.Equal(2, gguf.Code);
        Assert.Contains("gguf is not supported", gguf.Err);
    }
}
