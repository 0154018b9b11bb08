using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Vision;

/// <summary>
/// Hugging Face's <c>CLIPVisionModel</c> / <c>SiglipVisionModel</c> (keys <c>vision_model.*</c>), as
/// a feature extractor: the hidden states of one layer, computed only up to that layer.
/// </summary>
internal sealed class VisionTower : nn.Module<Tensor, Tensor>
{
    // Checkpoint name, fenced.
    readonly VisionTransformer vision_model;

    public VisionTower(VisionConfig config) : base(nameof(VisionTower))
    {
        Config = config;
        vision_model = new VisionTransformer(config);
        RegisterComponents();
    }

    public VisionConfig Config { get; }

    /// <summary>
    /// A CLIP or SigLIP checkpoint key's name in the tower (<c>vision_model.*</c>: the same), or null for
    /// keys that are not the tower's: a full checkpoint's text tower, and SigLIP's attention-pooling
    /// head (<c>vision_model.head.*</c>), which the VLM does not use (it takes patch features).
    /// </summary>
    public static string? ModuleName(string key) =>
        key.StartsWith("vision_model.", StringComparison.Ordinal) && !key.StartsWith("vision_model.head.", StringComparison.Ordinal) ? key : null;

    public override Tensor forward(Tensor pixels) => vision_model.HiddenState(pixels, Config.NumHiddenLayers);

    /// <summary>Hugging Face's <c>last_hidden_state</c>: the last layer's output, post-normed for SigLIP (CLIP post-norms only its pooled class token).</summary>
    public Tensor LastHiddenState(Tensor pixels) =>
        Config.Kind == VisionKind.Siglip ? vision_model.forward(pixels) : vision_model.HiddenState(pixels, Config.NumHiddenLayers);

    /// <summary>CLIP's <c>pooler_output</c>: the class token of the last layer, post-normed.</summary>
    public Tensor ClipPooled(Tensor pixels)
    {
        if (Config.Kind != VisionKind.Clip) throw new NotSupportedException("SigLIP's pooled output comes from its attention-pooling head, which the tower does not load (the VLM uses patch features)");
        using var scope = NewDisposeScope();
        return vision_model.PostNorm(vision_model.HiddenState(pixels, Config.NumHiddenLayers)[.., 0]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>hidden_states[layer]</c> in Hugging Face's numbering (0 = the embeddings, -1 = the last
    /// layer, LLaVA's default -2 = the penultimate), without the first token when <paramref name="dropFirst"/>
    /// (CLIP's class token; SigLIP has none, so LLaVA's "default" strategy drops nothing there).
    /// </summary>
    public Tensor Features(Tensor pixels, int layer, bool dropFirst)
    {
        int total = Config.NumHiddenLayers;
        int index = layer < 0 ? total + 1 + layer : layer;
        if (index < 0 || index > total) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"the tower has hidden states 0..{total} (or -1..-{total + 1})");
        using var scope = NewDisposeScope();
        var h = vision_model.HiddenState(pixels, index);
        return (dropFirst ? h[.., 1..] : h).MoveToOuterDisposeScope();
    }
}

/// <summary>The <c>vision_model</c> part: embeddings, (CLIP) pre-norm, encoder, post-norm.</summary>
internal sealed class VisionTransformer : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly VisionEmbeddings embeddings;
    readonly LayerNorm? pre_layrnorm; // sic: CLIP's key
    readonly VisionEncoder encoder;
    readonly LayerNorm post_layernorm;

    public VisionTransformer(VisionConfig config) : base(nameof(VisionTransformer))
    {
        embeddings = new VisionEmbeddings(config);
        if (config.Kind == VisionKind.Clip) pre_layrnorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        encoder = new VisionEncoder(config);
        post_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels) => post_layernorm.forward(HiddenState(pixels, encoder.Layers.Count));

    public Tensor PostNorm(Tensor hidden) => post_layernorm.forward(hidden);

    /// <summary>The input of layer <paramref name="index"/> (= the output of layer index - 1).</summary>
    public Tensor HiddenState(Tensor pixels, int index)
    {
        using var scope = NewDisposeScope();
        var h = embeddings.forward(pixels);
        if (pre_layrnorm is not null) h = pre_layrnorm.forward(h);
        for (int i = 0; i < index; i++) h = encoder.Layers[i].forward(h);
        return h.MoveToOuterDisposeScope();
    }
}

/// <summary>The <c>encoder.layers</c> list.</summary>
internal sealed class VisionEncoder : nn.Module<Tensor, Tensor>
{
    // Checkpoint name, fenced.
    readonly ModuleList<VisionEncoderLayer> layers;

    public VisionEncoder(VisionConfig config) : base(nameof(VisionEncoder))
    {
        layers = new ModuleList<VisionEncoderLayer>([.. Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new VisionEncoderLayer(config))]);
        RegisterComponents();
    }

    public ModuleList<VisionEncoderLayer> Layers => layers;

    public override Tensor forward(Tensor x)
    {
        foreach (var layer in layers) x = layer.forward(x);
        return x;
    }
}
