using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Qwen2;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Tests.Trainers.Models;

/// <summary>Small random models with the real architectures, for tests.</summary>
internal static class TinyModels
{
    public const long ImageToken = 60;

    public static Qwen2Config Text(bool tied = false) => new()
    {
        VocabSize = 64, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2,
        NumAttentionHeads = 4, NumKeyValueHeads = 2, RopeTheta = 10000, TieWordEmbeddings = tied,
    };

    public static VisionConfig Vision(VisionKind kind = VisionKind.Clip) => new()
    {
        Kind = kind, HiddenSize = 24, IntermediateSize = 40, NumHiddenLayers = 3, NumAttentionHeads = 2,
        ImageSize = 16, PatchSize = 8, HiddenAct = kind == VisionKind.Clip ? "quick_gelu" : "gelu_pytorch_tanh",
    };

    public static VlmModel Vlm(long seed = 1, VisionKind kind = VisionKind.Clip)
    {
        TorchSharp.torch.manual_seed(seed);
        var model = new VlmModel(Vision(kind), new Qwen2ForCausalLM(Text()), ImageToken);
        model.eval();
        return model;
    }
}
