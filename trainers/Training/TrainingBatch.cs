using static TorchSharp.torch;

namespace Vlm.Trainers.Training;

/// <summary>A padded batch: ids, keep mask and labels [B, T] (right padded; padding labelled -100) and the images of its rows.</summary>
internal sealed class TrainingBatch(long[] ids, long[] keep, long[] labels, int rows, int length, Tensor? pixels, int images)
{
    public int Rows => rows;
    public int Length => length;
    public int Images => images;

    /// <summary>The batch of <paramref name="examples"/> padded to the longest (dynamic padding), images decoded by <paramref name="images"/>.</summary>
    public static TrainingBatch Create(IReadOnlyList<TrainingExample> examples, ImagePreprocessor images, string imageRoot)
    {
        int length = examples.Max(e => e.InputIds.Length), rows = examples.Count;
        var ids = new long[rows * length];
        var keep = new long[rows * length];
        var labels = new long[rows * length];
        Array.Fill(labels, -100L);
        for (int r = 0; r < rows; r++)
        {
            var e = examples[r];
            for (int t = 0; t < e.InputIds.Length; t++)
            {
                ids[r * length + t] = e.InputIds[t];
                keep[r * length + t] = 1;
                labels[r * length + t] = e.Labels[t];
            }
        }
        var paths = examples.Where(e => e.Image is not null).Select(e => Path.Combine(imageRoot, e.Image!)).ToList();
        // The batch owns its images until ToTensors, whichever thread made it: a task waited on may run inline,
        // inside a step's dispose scope, and that scope must not free the next step's images.
        var pixels = paths.Count == 0 ? null : images.Pixels(paths).DetachFromDisposeScope();
        return new TrainingBatch(ids, keep, labels, rows, length, pixels, paths.Count);
    }

    /// <summary>
    /// The batch as tensors on <paramref name="device"/>, owned by the caller's dispose scope. Called
    /// once: the images' tensor, made on the decoding thread outside any scope, is handed over.
    /// </summary>
    public (Tensor Ids, Tensor Keep, Tensor Labels, Tensor? Pixels) ToTensors(Device device)
    {
        Tensor? onDevice = null;
        if (pixels is not null)
        {
            onDevice = pixels.to(device);
            pixels.Dispose(); // the new handle keeps the storage when the device is the same
            pixels = null;
        }
        return (tensor(ids, [rows, length], device: device), tensor(keep, [rows, length], device: device), tensor(labels, [rows, length], device: device), onDevice);
    }

    public long Tokens => keep.Sum();
}
