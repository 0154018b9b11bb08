using System.Text.Json.Nodes;
using Vlm.Trainers.Checkpoints;

namespace Vlm.Trainers.Models.Vision;

/// <summary>Which ViT family a tower is: the two differ only in their embeddings and norms.</summary>
public enum VisionKind
{
    /// <summary>CLIP: class token, patch conv without bias, a layer norm before the encoder.</summary>
    Clip,
    /// <summary>SigLIP: no class token, patch conv with bias, no norm before the encoder.</summary>
    Siglip,
}

/// <summary>A CLIP or SigLIP vision <c>config.json</c> (standalone, or the <c>vision_config</c> of a full checkpoint).</summary>
internal sealed record VisionConfig
{
    public VisionKind Kind { get; init; } = VisionKind.Clip;
    public int HiddenSize { get; init; } = 1024;
    public int IntermediateSize { get; init; } = 4096;
    public int NumHiddenLayers { get; init; } = 24;
    public int NumAttentionHeads { get; init; } = 16;
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 14;
    public int NumChannels { get; init; } = 3;
    public double LayerNormEps { get; init; } = 1e-5;
    public string HiddenAct { get; init; } = "quick_gelu";

    public int NumPatches => (ImageSize / PatchSize) * (ImageSize / PatchSize);
    public int NumPositions => NumPatches + (Kind == VisionKind.Clip ? 1 : 0);

    /// <summary>Tensors the checkpoint must hold as this config describes them (checked before the tower is built).</summary>
    public IEnumerable<ExpectedTensor> ExpectedTensors() =>
    [
        new("vision_model.embeddings.patch_embedding.weight", [HiddenSize, NumChannels, PatchSize, PatchSize], "hidden_size, num_channels and patch_size"),
        new("vision_model.embeddings.position_embedding.weight", [NumPositions, HiddenSize], "image_size and patch_size"),
        new($"vision_model.encoder.layers.{NumHiddenLayers - 1}.layer_norm1.weight", [HiddenSize], "num_hidden_layers"),
        new("vision_model.encoder.layers.0.mlp.fc1.weight", [IntermediateSize, HiddenSize], "intermediate_size"),
    ];

    public static VisionConfig From(HfConfig config)
    {
        string type = config.String("model_type", "")!;
        var section = config.Section("vision_config") ?? config;
        var kind = type switch
        {
            "clip" or "clip_vision_model" => VisionKind.Clip,
            "siglip" or "siglip_vision_model" => VisionKind.Siglip,
            _ => throw new CheckpointFormatException(config.Path, null, $"model_type '{type}' is not a CLIP or SigLIP checkpoint"),
        };
        var c = new VisionConfig
        {
            Kind = kind,
            HiddenSize = section.Count("hidden_size", 768),
            IntermediateSize = section.Count("intermediate_size", 3072),
            NumHiddenLayers = section.Count("num_hidden_layers", 12),
            NumAttentionHeads = section.Count("num_attention_heads", 12),
            ImageSize = section.Count("image_size", 224),
            PatchSize = section.Count("patch_size", kind == VisionKind.Clip ? 32 : 16),
            NumChannels = section.Count("num_channels", 3),
            LayerNormEps = section.Double("layer_norm_eps", kind == VisionKind.Clip ? 1e-5 : 1e-6),
            HiddenAct = section.String("hidden_act", kind == VisionKind.Clip ? "quick_gelu" : "gelu_pytorch_tanh")!,
        };
        if (c.HiddenSize % c.NumAttentionHeads != 0)
            throw new CheckpointFormatException(config.Path, null, $"hidden_size {c.HiddenSize} is not a multiple of num_attention_heads {c.NumAttentionHeads}");
        if (c.PatchSize > c.ImageSize)
            throw new CheckpointFormatException(config.Path, null, $"patch_size {c.PatchSize} is larger than image_size {c.ImageSize}");
        return c;
    }

    /// <summary>The config as Hugging Face's <c>CLIPVisionModel</c> / <c>SiglipVisionModel</c> writes it.</summary>
    public JsonObject ToJson() => new()
    {
        ["architectures"] = new JsonArray(Kind == VisionKind.Clip ? "CLIPVisionModel" : "SiglipVisionModel"),
        ["model_type"] = Kind == VisionKind.Clip ? "clip_vision_model" : "siglip_vision_model",
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["image_size"] = ImageSize,
        ["patch_size"] = PatchSize,
        ["num_channels"] = NumChannels,
        ["layer_norm_eps"] = LayerNormEps,
        ["hidden_act"] = HiddenAct,
        ["torch_dtype"] = "float32",
    };
}
