using System.Diagnostics;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>One training step as the benchmarks time it: loss on the labelled positions, backward, AdamW, gradients cleared.</summary>
internal static class BenchStep
{
    /// <summary>Runs the step on token ids only (no images) and returns its seconds (on CUDA, until its kernels end, not only their launches).</summary>
    public static double Run(VlmModel model, AdamW optimizer, Tensor ids, Tensor keep, Tensor labels)
    {
        var clock = Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            var (loss, _) = model.Loss(ids, keep, labels, null);
            loss.backward();
            optimizer.StepOnce();
            optimizer.ZeroGrad();
        }
        if (ids.device_type == DeviceType.CUDA) torch.cuda.synchronize();
        return clock.Elapsed.TotalSeconds;
    }
}
