using Vlm.Trainers.Checkpoints;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Trainers.Training;

/// <summary>A <see cref="VlmProcessor"/>'s images as the tower's input tensors, [N, 3, S, S] float32 on the CPU.</summary>
internal static class PixelTensors
{
    /// <summary>
    /// The image files, written in place: a batch is megabytes (16 SigLIP-384 images are 28 MB), and a
    /// fresh managed array per batch, copied again into a tensor, cost a tenth of the preprocessing in
    /// page faults and copies.
    /// </summary>
    public static unsafe Tensor Pixels(this VlmProcessor processor, IReadOnlyList<string> paths)
    {
        int image = processor.ValuesPerImage, size = processor.ImageSize;
        // Every value is written below, so the batch is not zeroed first.
        var result = empty([paths.Count, 3, size, size], float32);
        try
        {
            float* values = (float*)NativeTensorMemory.DataPointer(result);
            for (int n = 0; n < paths.Count; n++) processor.WritePixels(paths[n], new Span<float>(values + (long)n * image, image));
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>One encoded image (PNG, JPEG, ...) held in memory, as [1, 3, S, S]; <paramref name="name"/> goes into errors.</summary>
    public static Tensor Pixels(this VlmProcessor processor, byte[] encoded, string name)
    {
        var result = new float[processor.ValuesPerImage];
        processor.WritePixels(encoded, name, result);
        return tensor(result, [1, 3, processor.ImageSize, processor.ImageSize]);
    }
}
