using TorchSharp;
using TorchSharp.Modules;
using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Vision;

/// <summary>Patch embedding (a stride-P convolution), the class token for CLIP, and learned positions.</summary>
internal sealed class VisionEmbeddings : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly Conv2d patch_embedding;
    readonly Parameter? class_embedding;
    readonly Embedding position_embedding;

    public VisionEmbeddings(VisionConfig config) : base(nameof(VisionEmbeddings))
    {
        bool clip = config.Kind == VisionKind.Clip;
        patch_embedding = nn.Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: !clip);
        if (clip) class_embedding = nn.Parameter(randn(config.HiddenSize));
        position_embedding = nn.Embedding(config.NumPositions, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels) // [B, C, H, W] -> [B, N(+1), D]
    {
        using var scope = NewDisposeScope();
        var weight = patch_embedding.weight!;
        var patches = patch_embedding.forward(pixels.to(weight.dtype)).flatten(2).transpose(1, 2); // [B, N, D]
        if (class_embedding is not null)
            patches = cat([class_embedding.to(patches.dtype).expand(patches.shape[0], 1, -1), patches], 1);
        return patches.add(position_embedding.weight!.unsqueeze(0), Scalars.One).MoveToOuterDisposeScope();
    }
}
