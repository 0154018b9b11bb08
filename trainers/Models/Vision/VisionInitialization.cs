using TorchSharp;
using Vlm.Trainers.Models.Modules;

namespace Vlm.Trainers.Models.Vision;

/// <summary>
/// A fresh tower's weights as Hugging Face initialises them: CLIP's <c>_init_weights</c> (attention and
/// MLP scaled by width and depth, class token by width, patches and positions by
/// <c>initializer_range</c>) or SigLIP's (Xavier-uniform attention and MLP, LeCun-normal patches,
/// positions by width). A flat 0.02 everywhere makes each block close to the identity, and deeper
/// random towers then trained worse than shallow ones in the demo.
/// </summary>
internal static class VisionInitialization
{
    public static void Apply(VisionTower tower, double initializerRange)
    {
        var config = tower.Config;
        double width = config.HiddenSize, depth = config.NumHiddenLayers;
        double inProj = Math.Pow(width, -0.5) * Math.Pow(2 * depth, -0.5), outProj = Math.Pow(width, -0.5), fc1 = Math.Pow(2 * width, -0.5);
        using var _ = torch.no_grad();
        foreach (var (name, p) in tower.named_parameters())
        {
            bool bias = name.EndsWith(".bias", StringComparison.Ordinal);
            bool norm = name.Contains("layer_norm", StringComparison.Ordinal) || name.Contains("layrnorm", StringComparison.Ordinal) || name.Contains("layernorm", StringComparison.Ordinal);
            if (norm)
            {
                if (bias) p.zero_(); else p.fill_(Scalars.One);
                continue;
            }
            if (config.Kind == VisionKind.Clip)
            {
                if (bias) p.zero_();
                else if (name.EndsWith("class_embedding", StringComparison.Ordinal)) p.normal_(0, Math.Pow(width, -0.5));
                else if (name.Contains(".embeddings.", StringComparison.Ordinal)) p.normal_(0, initializerRange);
                else if (name.Contains(".out_proj.", StringComparison.Ordinal)) p.normal_(0, outProj);
                else if (name.Contains(".fc1.", StringComparison.Ordinal)) p.normal_(0, fc1);
                else p.normal_(0, inProj); // q_proj, k_proj, v_proj, fc2
            }
            else if (name.Contains(".position_embedding.", StringComparison.Ordinal)) p.normal_(0, 1 / Math.Sqrt(width));
            else if (name.Contains(".patch_embedding.", StringComparison.Ordinal))
            {
                if (bias) p.zero_();
                else
                {
                    // LeCun normal: a normal truncated at 2 std, widened so that its variance is 1 / fan_in (by the inverse CDF, as PyTorch draws it).
                    double std = Math.Sqrt(1.0 / (p.shape[1] * p.shape[2] * p.shape[3])) / 0.87962566103423978;
                    const double phiOfTwo = 0.97724986805182079; // the standard normal CDF at 2
                    using Scalar scale = (std * Math.Sqrt(2)).ToScalar(), low = (-2 * std).ToScalar(), high = (2 * std).ToScalar();
                    p.uniform_(1 - 2 * phiOfTwo, 2 * phiOfTwo - 1).erfinv_().mul_(scale).clamp_(low, high);
                }
            }
            else if (bias)
            {
                if (name.Contains(".mlp.", StringComparison.Ordinal)) p.normal_(0, 1e-6); else p.zero_();
            }
            else torch.nn.init.xavier_uniform_(p);
        }
    }
}
