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
        var patches = Patches(pixels.to(weight.dtype)).flatten(2).transpose(1, 2); // [B, N, D]
        if (class_embedding is not null)
            patches = cat([class_embedding.to(patches.dtype).expand(patches.shape[0], 1, -1), patches], 1);
        return patches.add(position_embedding.weight!.unsqueeze(0), Scalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The patch convolution. A reduced-precision one on the CPU runs in fp32 and is rounded after:
    /// libtorch 2.10's bf16 convolution on a CPU with AVX512-BF16 (an AMD EPYC) returned results 26%
    /// off fp32 (relative norm), where rounding explains 0.3%; fp32 products rounded once are what a
    /// GPU's bf16 convolution (fp32 accumulation) gives.
    /// </summary>
    Tensor Patches(Tensor pixels)
    {
        var weight = patch_embedding.weight!;
        if (weight.dtype == float32 || weight.device.type != DeviceType.CPU) return patch_embedding.forward(pixels);
        using var scope = NewDisposeScope();
        long stride = weight.shape[2];
        return nn.functional.conv2d(pixels.to(float32), weight.to(float32), patch_embedding.bias?.to(float32), strides: [stride, stride])
            .to(weight.dtype).MoveToOuterDisposeScope();
    }
}
