using Vlm.Tests.TestSupport;
using Vlm.Trainers.Models.Vision;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Models;

/// <summary>A fresh tower's weight scales against Hugging Face's CLIP and SigLIP initialisation formulas (width 256, 2 layers: large enough for the sample deviations to sit within a few percent).</summary>
[Collection(TorchRandomCollection.Name)]
public class VisionInitializationTests
{
    const int Width = 256;

    static Dictionary<string, Tensor> Fresh(VisionKind kind)
    {
        manual_seed(9);
        var tower = new VisionTower(new VisionConfig
        {
            Kind = kind, HiddenSize = Width, IntermediateSize = 4 * Width, NumHiddenLayers = 2, NumAttentionHeads = 4, ImageSize = 32, PatchSize = 8,
            HiddenAct = kind == VisionKind.Clip ? "quick_gelu" : "gelu_pytorch_tanh",
        });
        VisionInitialization.Apply(tower, 0.02);
        return tower.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
    }

    static void Std(Tensor t, double expected, double relative = 0.05) =>
        Assert.InRange(t.std().item<float>(), expected * (1 - relative), expected * (1 + relative));

    [Fact]
    public void Clip_follows_clips_init_weights()
    {
        var p = Fresh(VisionKind.Clip);
        const string layer = "vision_model.encoder.layers.1.";
        Std(p[layer + "self_attn.q_proj.weight"], Math.Pow(Width, -0.5) * Math.Pow(4, -0.5));
        Std(p[layer + "self_attn.out_proj.weight"], Math.Pow(Width, -0.5));
        Std(p[layer + "mlp.fc1.weight"], Math.Pow(2 * Width, -0.5));
        Std(p[layer + "mlp.fc2.weight"], Math.Pow(Width, -0.5) * Math.Pow(4, -0.5));
        Std(p["vision_model.embeddings.patch_embedding.weight"], 0.02);
        Std(p["vision_model.embeddings.class_embedding"], Math.Pow(Width, -0.5), 0.15);
        Assert.Equal(0, p[layer + "self_attn.q_proj.bias"].abs().max().item<float>());
        Assert.Equal(1, p[layer + "layer_norm1.weight"].min().item<float>());
        Assert.Equal(1, p["vision_model.pre_layrnorm.weight"].min().item<float>());
    }

    [Fact]
    public void Siglip_follows_siglips_init_weights()
    {
        var p = Fresh(VisionKind.Siglip);
        const string layer = "vision_model.encoder.layers.0.";
        double bound = Math.Sqrt(6.0 / (Width + Width));
        Assert.True(p[layer + "self_attn.k_proj.weight"].abs().max().item<float>() <= bound);
        Std(p[layer + "self_attn.k_proj.weight"], bound / Math.Sqrt(3));
        Std(p[layer + "mlp.fc1.weight"], Math.Sqrt(6.0 / (Width + 4 * Width)) / Math.Sqrt(3));
        Std(p["vision_model.embeddings.position_embedding.weight"], 1 / Math.Sqrt(Width));
        Std(p["vision_model.embeddings.patch_embedding.weight"], Math.Sqrt(1.0 / (3 * 8 * 8)), 0.1); // LeCun normal, truncated at 2 std
        Assert.InRange(p[layer + "mlp.fc1.bias"].abs().max().item<float>(), 1e-9f, 1e-5f);
        Assert.Equal(0, p[layer + "self_attn.k_proj.bias"].abs().max().item<float>());
        Assert.Equal(1, p["vision_model.post_layernorm.weight"].min().item<float>());
    }
}
