using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using Vlm.Datasets.IO;
using Vlm.Datasets.Tokenizers;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Qwen2;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Trainers.Models;

/// <summary>The sizes of a tiny random model pair (small enough to train on a CPU in minutes).</summary>
internal sealed record TinyModelOptions
{
    public int TextHiddenSize { get; init; } = 64;
    public int TextLayers { get; init; } = 2;
    public int TextHeads { get; init; } = 4;
    public int TextKeyValueHeads { get; init; } = 2;
    public int TextIntermediateSize { get; init; } = 128;
    public VisionKind Vision { get; init; } = VisionKind.Clip;
    public int VisionHiddenSize { get; init; } = 64;
    public int VisionLayers { get; init; } = 2;
    public int VisionHeads { get; init; } = 4;
    public int VisionIntermediateSize { get; init; } = 128;
    public int ImageSize { get; init; } = 32;
    public int PatchSize { get; init; } = 8;
    public long Seed { get; init; }
    /// <summary>Standard deviation of the random weights; Hugging Face's 0.02 makes a model whose untrained answers barely depend on its input.</summary>
    public double InitializerRange { get; init; } = 0.02;
}

/// <summary>
/// Writes a tiny random Qwen2 LLM folder (with the built-in Qwen2 tokenizer and Qwen2's real
/// 151,936-entry vocabulary, tied embeddings) and a tiny CLIP or SigLIP vision folder, in Hugging
/// Face's formats, initialised as Hugging Face initialises them (normal, std 0.02; biases 0).
/// They load like real checkpoints: the demo, <c>vlm init-tiny</c> and the tests use them.
/// </summary>
internal static class TinyModelFolders
{
    public const string LlmFolder = "llm", VisionFolder = "vision";

    /// <summary>Writes <c>{folder}/llm</c> and <c>{folder}/vision</c>; returns their paths.</summary>
    public static (string Llm, string Vision) Write(string folder, TinyModelOptions options)
    {
        string llm = Path.Combine(folder, LlmFolder), vision = Path.Combine(folder, VisionFolder);
        var text = new Qwen2Config
        {
            VocabSize = 151936, HiddenSize = options.TextHiddenSize, IntermediateSize = options.TextIntermediateSize, NumHiddenLayers = options.TextLayers,
            NumAttentionHeads = options.TextHeads, NumKeyValueHeads = options.TextKeyValueHeads, RopeTheta = 1_000_000, TieWordEmbeddings = true,
        };
        var tower = new VisionConfig
        {
            Kind = options.Vision, HiddenSize = options.VisionHiddenSize, IntermediateSize = options.VisionIntermediateSize, NumHiddenLayers = options.VisionLayers,
            NumAttentionHeads = options.VisionHeads, ImageSize = options.ImageSize, PatchSize = options.PatchSize,
            HiddenAct = options.Vision == VisionKind.Clip ? "quick_gelu" : "gelu_pytorch_tanh",
            LayerNormEps = options.Vision == VisionKind.Clip ? 1e-5 : 1e-6,
        };
        torch.manual_seed(options.Seed);
        using var model = new VlmModel(tower, text, imageTokenId: 0);
        Initialise(model, options.InitializerRange);
        VlmCheckpoints.WriteFolder(model.LanguageModel, "", text.ToJson(), llm);
        foreach (var file in new[] { TokenizerFolder.TokenizerJson, TokenizerFolder.TokenizerConfigJson })
            File.Copy(Path.Combine(BuiltInTokenizer.Folder, file), Path.Combine(llm, file), overwrite: true);
        VlmCheckpoints.WriteVisionFolder(model, vision);
        AtomicFile.WriteAllText(Path.Combine(vision, "preprocessor_config.json"), Preprocessor(tower).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return (llm, vision);
    }

    static void Initialise(torch.nn.Module model, double std)
    {
        using var _ = torch.no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() >= 2) p.normal_(0, std);
            else if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
        }
    }

    static JsonObject Preprocessor(VisionConfig tower) => tower.Kind == VisionKind.Clip
        ? new JsonObject
        {
            ["image_processor_type"] = "CLIPImageProcessor",
            ["do_resize"] = true, ["size"] = new JsonObject { ["shortest_edge"] = tower.ImageSize },
            ["do_center_crop"] = true, ["crop_size"] = new JsonObject { ["height"] = tower.ImageSize, ["width"] = tower.ImageSize },
            ["do_normalize"] = true,
            ["image_mean"] = new JsonArray(0.48145466, 0.4578275, 0.40821073),
            ["image_std"] = new JsonArray(0.26862954, 0.26130258, 0.27577711),
        }
        : new JsonObject
        {
            ["image_processor_type"] = "SiglipImageProcessor",
            ["do_resize"] = true, ["size"] = new JsonObject { ["height"] = tower.ImageSize, ["width"] = tower.ImageSize },
            ["do_normalize"] = true,
            ["image_mean"] = new JsonArray(0.5, 0.5, 0.5),
            ["image_std"] = new JsonArray(0.5, 0.5, 0.5),
        };
}
