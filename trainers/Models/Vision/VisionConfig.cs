using System.Text.Json.Nodes;
using Vlm.Datasets.Images;
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
    /// <summary>Whether the tower puts a class token before the patches (CLIP does, SigLIP does not): LLaVA's "default" feature selection drops it.</summary>
    public bool HasClassToken => Kind == VisionKind.Clip;
    public int NumPositions => NumPatches + (HasClassToken ? 1 : 0);

    /// <summary>A family's <c>model_type</c> (<c>clip</c>, <c>clip_vision_model</c>, <c>siglip</c>, <c>siglip_vision_model</c>) as its kind, or null.</summary>
    public static VisionKind? KindNamed(string? modelType) => modelType switch
    {
        "clip" or "clip_vision_model" => VisionKind.Clip,
        "siglip" or "siglip_vision_model" => VisionKind.Siglip,
        _ => null,
    };

    /// <summary>The family's config with transformers' defaults (<c>CLIPVisionConfig()</c>, <c>SiglipVisionConfig()</c>).</summary>
    public static VisionConfig Of(VisionKind kind) => new()
    {
        Kind = kind, HiddenSize = 768, IntermediateSize = 3072, NumHiddenLayers = 12, NumAttentionHeads = 12, ImageSize = 224,
        PatchSize = kind == VisionKind.Clip ? 32 : 16,
        LayerNormEps = kind == VisionKind.Clip ? 1e-5 : 1e-6,
        HiddenAct = kind == VisionKind.Clip ? "quick_gelu" : "gelu_pytorch_tanh",
    };

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
        var kind = KindNamed(type) ?? throw new CheckpointFormatException(config.Path, null, $"model_type '{type}' is not a CLIP or SigLIP checkpoint");
        var d = Of(kind);
        var c = d with
        {
            HiddenSize = section.Count("hidden_size", d.HiddenSize),
            IntermediateSize = section.Count("intermediate_size", d.IntermediateSize),
            NumHiddenLayers = section.Count("num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = section.Count("num_attention_heads", d.NumAttentionHeads),
            ImageSize = section.Count("image_size", d.ImageSize),
            PatchSize = section.Count("patch_size", d.PatchSize),
            NumChannels = section.Count("num_channels", d.NumChannels),
            LayerNormEps = section.Double("layer_norm_eps", d.LayerNormEps),
            HiddenAct = section.String("hidden_act", d.HiddenAct)!,
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

    /// <summary>
    /// The tower's image processor: the folder's <c>preprocessor_config.json</c> when it has one, else
    /// CLIP's or SigLIP's published values at the tower's image size. Its output must be the tower's input size.
    /// </summary>
    public ImageProcessorConfig ImageProcessor(string? towerFolder)
    {
        string? file = towerFolder is null ? null : Path.Combine(towerFolder, "preprocessor_config.json");
        var config = file is not null && File.Exists(file) ? ImageProcessorConfig.Read(file)
            : Kind == VisionKind.Clip ? ImageProcessorConfig.Clip(ImageSize) : ImageProcessorConfig.Siglip(ImageSize);
        if (config.FixedOutputSize is { } size && size != (ImageSize, ImageSize))
            throw new InvalidDataException($"{config.Source}: the processor makes {size.Height} x {size.Width} images but the tower's image_size is {ImageSize}");
        return config;
    }
}
