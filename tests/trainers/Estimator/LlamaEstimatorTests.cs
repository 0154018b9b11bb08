using Microsoft.ML;
using Vlm.Datasets.Synthetic;
using Vlm.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models;
using Vlm.Trainers.Models.Llama;
using Vlm.Trainers.Training;
using Vlm.Transforms;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

namespace Vlm.Tests.Trainers.Estimator;

/// <summary>A LLaVA-1.5-shaped model end to end: a tiny Llama with Llama 2's tokenizer and the vicuna_v1 template, trained, saved, loaded and asked.</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class LlamaEstimatorTests : IDisposable
{
    readonly TempFolder _root = new();
    readonly MLContext _ml = new(seed: 1);

    public void Dispose() => _root.Dispose();

    [Fact]
    public void A_tiny_llama_with_the_vicuna_template_trains_saves_loads_and_answers()
    {
        string tokenizer = LlamaTokenizerFolders.Write(_root.Path, "llama2");
        var (llm, vision) = TinyModelFolders.Write(_root.File("models"), new TinyModelOptions
        {
            TextModelType = "llama", TokenizerFrom = tokenizer, TextHiddenSize = 16, TextLayers = 1, TextIntermediateSize = 32,
            VisionHiddenSize = 16, VisionLayers = 1, VisionIntermediateSize = 32, ImageSize = 16, PatchSize = 8, Seed = 3,
        });
        var text = TextTokenizer.Load(llm);
        Assert.Equal("llama2", text.Kind);
        Assert.Equal(32000, text.SpecialTokenId("<image>")); // added after Llama 2's 32,000 tokens, as LLaVA-1.5 does

        ShapesDataset.Write(_root.File("data"), 6, seed: 5, imageSize: 16);
        string images = _root.File("data/images");
        var template = new ChatTemplateOptions { SystemPrompt = ChatTemplate.VicunaV1SystemPrompt, ImageTokenCount = 4, FirstTurnOnly = true };
        var records = _ml.Data.LoadConversations(new EtlSource(SourceFormat.Llava, _root.File("data/llava.json"), images));
        var rows = _ml.Transforms.CheckImages(images).Append(_ml.Transforms.TokenizeConversations(text, template)).Fit(records).Transform(records);

        using var model = _ml.Vlm().Trainer(new VlmTrainerOptions
        {
            LlmPath = llm, VisionPath = vision, Template = template, ImageRoot = images, OutputDir = _root.File("out"),
            Train = TrainableParts.ProjectorAndLora, LoraRank = 4, LoraAlpha = 8, LoraDropout = 0,
            PerDeviceTrainBatchSize = 3, MaxSteps = 4, LearningRate = 1e-2, FeatureProjLr = 1e-2, LoggingSteps = 1, SaveSteps = 4,
        }).Fit(rows);

        Assert.IsType<LlamaForCausalLM>(model.Predictor.Model.LanguageModel);
        Assert.Equal(ChatFormat.VicunaV1, model.Predictor.Spec.Format);
        Assert.True(model.TrainingLog[^1].Loss < model.TrainingLog[0].Loss, $"loss {model.TrainingLog[0].Loss} -> {model.TrainingLog[^1].Loss}");
        var question = new VlmInput { Image = Path.Combine(images, "shape_00001.png"), Prompt = "What shape is in the image?" };
        string answer = model.Predictor.Answer(question);

        using var loaded = _ml.Vlm().LoadFolder(_root.File("out/model"));
        Assert.IsType<LlamaForCausalLM>(loaded.Predictor.Model.LanguageModel);
        Assert.Equal(answer, loaded.Predictor.Answer(question));
    }

    [Fact]
    public void A_tiny_llama_without_a_tokenizer_to_copy_is_refused_before_anything_is_written()
    {
        var e = Assert.Throws<ArgumentException>(() => TinyModelFolders.Write(_root.File("models"), new TinyModelOptions { TextModelType = "llama" }));
        Assert.Contains("needs a tokenizer to copy", e.Message);
        Assert.False(Directory.Exists(_root.File("models/llm")));
    }
}
