using Vlm.Datasets.Synthetic;
using Vlm.Datasets.Tokenizers;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models;
using Vlm.Trainers.Training;
using Vlm.Transforms.Conversations;

namespace Vlm.Tests.TestSupport;

/// <summary>
/// A model folder as <c>vlm train</c> writes it, without the training: tiny random Qwen2 and CLIP in
/// Hugging Face format plus a random projector. Its answers are nonsense but deterministic, which is
/// what tests of the apps around a model need.
/// </summary>
internal static class TestModels
{
    public static readonly ChatTemplateOptions Template = new() { Format = ChatFormat.Qwen2, SystemPrompt = null, ImageTokenCount = 4 };

    /// <summary>Writes the model to <c>{root}/model</c> (bases under <c>{root}/bases</c>) and a 16-pixel shape image to <c>{root}/shape.png</c>.</summary>
    public static string WriteModelFolder(string root)
    {
        var (llm, vision) = TinyModelFolders.Write(Path.Combine(root, "bases"), new TinyModelOptions
        {
            TextHiddenSize = 16, TextLayers = 1, TextIntermediateSize = 32, VisionHiddenSize = 16, VisionLayers = 1, VisionIntermediateSize = 32,
            ImageSize = 16, PatchSize = 8, Seed = 7, InitializerRange = 0.5,
        });
        var encoder = new ConversationEncoder(QwenTokenizer.Load(llm), Template);
        using var model = VlmModelFolder.FromBases(llm, vision, encoder.ImageTokenId);
        var spec = new VlmModelSpec
        {
            Llm = llm, Vision = vision, Tokenizer = llm, Format = Template.Format, SystemPrompt = Template.SystemPrompt,
            ImageTokenCount = Template.ImageTokenCount, Train = TrainableParts.Projector,
        };
        string folder = Path.Combine(root, "model");
        VlmModelFolder.Write(model, spec, lora: null, folder);
        File.WriteAllBytes(Path.Combine(root, "shape.png"), new ShapeScene("circle", "red", "large", "center").ToPng(16));
        return folder;
    }
}
