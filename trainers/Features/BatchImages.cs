using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Trainers.Features;

/// <summary>
/// What a training batch gives the model for its rows' images: decoded pixels for the tower, or the
/// tower's features read from a cache (<see cref="VisionFeatureCache"/>). Called on loading threads.
/// </summary>
internal interface IBatchImages : IDisposable
{
    /// <summary>
    /// The images of <paramref name="rows"/> that have one, in row order, as a CPU tensor outside any
    /// dispose scope: pixels [N, 3, H, W] or tower features [N, F, D]; null when no row has an image.
    /// </summary>
    Tensor? Load(IReadOnlyList<Training.TrainingExample> rows);
}

/// <summary>Images decoded from files under <paramref name="root"/> and preprocessed for the tower.</summary>
internal sealed class DecodedImages(VlmProcessor processor, string root) : IBatchImages
{
    public Tensor? Load(IReadOnlyList<Training.TrainingExample> rows)
    {
        var paths = rows.Where(e => e.Image is not null).Select(e => Path.Combine(root, e.Image!)).ToList();
        return paths.Count == 0 ? null : processor.Pixels(paths).DetachFromDisposeScope();
    }

    public void Dispose()
    {
    }
}

/// <summary>For rows without images (text-only data, benchmarks): a row with an image is an error.</summary>
internal sealed class NoImages : IBatchImages
{
    public Tensor? Load(IReadOnlyList<Training.TrainingExample> rows) =>
        rows.FirstOrDefault(r => r.Image is not null) is { } row ? throw new InvalidOperationException($"row with image {row.Image}: these batches have no images") : null;

    public void Dispose()
    {
    }
}
