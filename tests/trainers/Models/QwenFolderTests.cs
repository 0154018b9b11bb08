using System.Text.Json.Nodes;
using Microsoft.ML;
using Vlm.Datasets.Synthetic;
using Vlm.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models;
using Vlm.Trainers.Models.Qwen;
using Vlm.Trainers.Training;
using Vlm.Transforms;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Models;

/// <summary>Qwen-7B-architecture folders with their native names: written, read, trained with LoRA on c_attn|w1|w2 as the original does, saved in peft's names.</summary>
[Collection(TorchRandomCollection.Name)]
public class QwenFolderTests : IDisposable
{
    readonly TempFolder _root = new();
    readonly string _llm, _vision;

    public QwenFolderTests() => (_llm, _vision) = TinyModelFolders.Write(_root.File("models"), new TinyModelOptions
    {
        TextModelType = "qwen", TextHiddenSize = 32, TextLayers = 2, TextIntermediateSize = 48, VisionHiddenSize = 32, VisionLayers = 1,
        VisionIntermediateSize = 48, ImageSize = 16, PatchSize = 8, Seed = 3,
    });

    public void Dispose() => _root.Dispose();

    int ImageToken => new ConversationEncoder(QwenTokenizer.Load(_llm), new ChatTemplateOptions { Format = ChatFormat.Qwen, ImageTokenCount = 4 }).ImageTokenId;

    [Fact]
    public void A_tiny_folder_has_qwens_config_tokenizer_and_names()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_llm, "config.json")))!;
        Assert.Equal("qwen", (string?)config["model_type"]);
        Assert.Equal("QWenLMHeadModel", (string?)config["architectures"]![0]);
        Assert.Equal(96, (int)config["intermediate_size"]!); // twice the MLP width
        Assert.True(File.Exists(Path.Combine(_llm, "qwen.tiktoken")));
        Assert.Equal(QwenTokenizer.Load(_llm).Encode("<|extra_0|>")[0], ImageToken);

        using var file = SafetensorsFile.Open(Path.Combine(_llm, CheckpointFolder.SingleFile));
        foreach (var key in new[] { "transformer.wte.weight", "transformer.h.1.ln_1.weight", "transformer.h.1.attn.c_attn.weight", "transformer.h.1.attn.c_attn.bias",
                     "transformer.h.1.attn.c_proj.weight", "transformer.h.1.mlp.w1.weight", "transformer.h.1.mlp.w2.weight", "transformer.h.1.mlp.c_proj.weight",
                     "transformer.ln_f.weight", "lm_head.weight" })
            Assert.True(file.Contains(key), key);
        Assert.Equal([96L, 32L], file.Entry("transformer.h.0.attn.c_attn.weight").Shape);
        Assert.Equal([48L, 32L], file.Entry("transformer.h.0.mlp.w1.weight").Shape);
        Assert.False(file.Contains("transformer.h.0.attn.c_proj.bias")); // no_bias
        Assert.Equal(3 + 2 * 8, file.Names.Count()); // wte, ln_f, lm_head; per layer ln_1, ln_2, c_attn (+bias), c_proj, w1, w2, c_proj

        using var model = VlmModelFolder.FromBases(_llm, _vision, ImageToken);
        Assert.IsType<QwenLMHeadModel>(model.LanguageModel);
    }

    [Fact]
    public void The_llava_hf_export_refuses_a_qwen_7b_llm_before_writing_anything()
    {
        using var model = VlmModelFolder.FromBases(_llm, _vision, ImageToken);
        var e = Assert.Throws<NotSupportedException>(() => Vlm.Trainers.Checkpoints.VlmModelFolder.WriteLlava(model, _root.File("export")));
        Assert.Contains("built into transformers", e.Message);
        Assert.False(Directory.Exists(_root.File("export")));
    }

    [Fact]
    public void Saved_rotary_buffers_of_the_first_release_are_skipped_but_other_strangers_are_errors()
    {
        string path = Path.Combine(_llm, CheckpointFolder.SingleFile);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        using (var file = SafetensorsFile.Open(path))
            tensors.AddRange(file.Names.Select(n => KeyValuePair.Create(n, file.Read(n))));
        SafetensorsWriter.Write(path, [.. tensors, KeyValuePair.Create("transformer.h.0.attn.rotary_emb.inv_freq", ones(4)), KeyValuePair.Create("transformer.h.1.attn.masked_bias", tensor(-1e4f))]);
        using (var model = VlmModelFolder.FromBases(_llm, _vision, ImageToken))
            Assert.IsType<QwenLMHeadModel>(model.LanguageModel);

        SafetensorsWriter.Write(path, [.. tensors, KeyValuePair.Create("transformer.h.0.attn.c_q.weight", ones(4))]);
        var e = Assert.Throws<CheckpointFormatException>(() => VlmModelFolder.FromBases(_llm, _vision, ImageToken));
        Assert.Contains("transformer.h.0.attn.c_q.weight", e.Message);
    }

    [Fact]
    public void The_originals_lora_trains_saves_in_peft_names_and_reloads_to_the_same_answers()
    {
        ShapesDataset.Write(_root.File("data"), 6, seed: 5, imageSize: 16);
        string images = _root.File("data/images");
        var ml = new MLContext(seed: 1);
        var template = new ChatTemplateOptions { Format = ChatFormat.Qwen, ImageTokenCount = 4, FirstTurnOnly = true };
        var records = ml.Data.LoadConversations(new EtlSource(SourceFormat.Llava, _root.File("data/llava.json"), images));
        var rows = ml.Transforms.TokenizeConversations(QwenTokenizer.Load(_llm), template).Fit(records).Transform(records);
        var options = new VlmTrainerOptions
        {
            LlmPath = _llm, VisionPath = _vision, Template = template, ImageRoot = images, OutputDir = _root.File("out"),
            Train = TrainableParts.ProjectorAndLora, LoraRank = 4, LoraAlpha = 8, LoraDropout = 0, // target modules: the LLM's default
            PerDeviceTrainBatchSize = 3, MaxSteps = 8, LearningRate = 1e-2, FeatureProjLr = 1e-2, LoggingSteps = 2, SaveSteps = 8,
        };
        Assert.Null(options.TargetModules);
        using var model = ml.Vlm().Trainer(options).Fit(rows);
        Assert.True(model.TrainingLog[^1].Loss < model.TrainingLog[0].Loss, $"loss {model.TrainingLog[0].Loss} -> {model.TrainingLog[^1].Loss}");

        using (var adapter = SafetensorsFile.Open(_root.File("out/model/adapter_model.safetensors")))
        {
            var names = adapter.Names.ToList();
            Assert.Equal(12, names.Count); // 2 layers x (c_attn, w1, w2) x (A, B)
            Assert.Contains("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", names);
            Assert.Contains("base_model.model.transformer.h.1.mlp.w2.lora_B.weight", names);
        }
        var targets = JsonNode.Parse(File.ReadAllText(_root.File("out/model/adapter_config.json")))!["target_modules"]!.AsArray().Select(t => (string?)t);
        Assert.Equal(["c_attn", "w1", "w2"], targets); // the original's, chosen for a Qwen-7B LLM
        using var loaded = new MLContext().Vlm().LoadFolder(_root.File("out/model"));
        Assert.IsType<QwenLMHeadModel>(loaded.Predictor.Model.LanguageModel);
        var question = new VlmInput { Image = Path.Combine(images, "shape_00005.png"), Prompt = "What shape is in the image?" };
        Assert.Equal(model.Predictor.Answer(question), loaded.Predictor.Answer(question));
    }
}
