using static TorchSharp.torch;

namespace Vlm.Trainers.Training;

/// <summary>A padded batch: ids, keep mask and labels [B, T] (right padded; padding labelled -100) and the images of its rows.</summary>
internal sealed class TrainingBatch(long[] ids, long[] keep, long[] labels, int rows, int length, float[]? pixels, int images, int imageSize)
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
        var pixels = paths.Count == 0 ? null : images.Pixels(paths);
        return new TrainingBatch(ids, keep, labels, rows, length, pixels, paths.Count, images.Size);
    }

    /// <summary>The batch as tensors on <paramref name="device"/>.</summary>
    public (Tensor Ids, Tensor Keep, Tensor Labels, Tensor? Pixels) ToTensors(Device device) =>
        (tensor(ids, [rows, length], device: device), tensor(keep, [rows, length], device: device), tensor(labels, [rows, length], device: device),
         pixels is null ? null : tensor(pixels, [images, 3, imageSize, imageSize], device: device));

    public long Tokens => keep.Sum();
}
