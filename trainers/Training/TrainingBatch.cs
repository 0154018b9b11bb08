using static TorchSharp.torch;

namespace Vlm.Trainers.Training;

/// <summary>
/// A padded batch: ids, keep and labels [B, T] (right padded; padding labelled -100) and the images of
/// its rows (pixels or cached tower features). Packed, a row holds several examples one after another:
/// keep numbers them 1, 2, ... (0 is padding; see <c>AttentionMask</c>), so that each attends only to
/// itself and counts its positions from 0, and the loss is the unpacked batch's.
/// </summary>
internal sealed class TrainingBatch(long[] ids, long[] keep, long[] labels, int rows, int length, Tensor? pixels, int images, int examples)
{
    public int Rows => rows;
    public int Length => length;
    public int Images => images;
    /// <summary>Examples in the batch (more than <see cref="Rows"/> when packed).</summary>
    public int Examples => examples;

    /// <summary>
    /// The batch of <paramref name="examples"/> padded to the longest (dynamic padding), with its rows'
    /// images from <paramref name="images"/>; with <paramref name="pack"/>, the examples first packed into
    /// as few rows of that length as first-fit decreasing finds.
    /// </summary>
    public static TrainingBatch Create(IReadOnlyList<TrainingExample> examples, Features.IBatchImages images, bool pack = false)
    {
        int length = examples.Max(e => e.InputIds.Length);
        var packed = pack ? Pack(examples, length) : [.. examples.Select(e => new List<TrainingExample> { e })];
        int rows = packed.Count;
        var ids = new long[rows * length];
        var keep = new long[rows * length];
        var labels = new long[rows * length];
        Array.Fill(labels, -100L);
        for (int r = 0; r < rows; r++)
        {
            int at = r * length;
            for (int s = 0; s < packed[r].Count; s++)
            {
                var e = packed[r][s];
                for (int t = 0; t < e.InputIds.Length; t++, at++)
                {
                    ids[at] = e.InputIds[t];
                    keep[at] = s + 1;
                    // A segment's first label would be predicted from the previous segment's last token: never, as unpacked.
                    labels[at] = t == 0 && s > 0 ? -100 : e.Labels[t];
                }
            }
        }
        // The batch owns its images until ToTensors, whichever thread made it: a task waited on may run inline,
        // inside a step's dispose scope, and that scope must not free the next step's images.
        // Images go in the order their image tokens appear: row by row, segment by segment.
        var pixels = images.Load([.. packed.SelectMany(r => r)]);
        return new TrainingBatch(ids, keep, labels, rows, length, pixels, (int)(pixels?.shape[0] ?? 0), examples.Count);
    }

    /// <summary>First-fit decreasing: the longest example first, each into the first row with room for it.</summary>
    static List<List<TrainingExample>> Pack(IReadOnlyList<TrainingExample> examples, int width)
    {
        var rows = new List<List<TrainingExample>>();
        var used = new List<int>();
        foreach (var e in examples.OrderByDescending(e => e.InputIds.Length)) // stable: ties keep the batch's order
        {
            int r = used.FindIndex(u => u + e.InputIds.Length <= width);
            if (r < 0)
            {
                rows.Add([]);
                used.Add(0);
                r = rows.Count - 1;
            }
            rows[r].Add(e);
            used[r] += e.InputIds.Length;
        }
        return rows;
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

    /// <summary>The positions the loss is taken on: labels other than -100 after each row's first (the label of position t is predicted at t - 1).</summary>
    public long LabelledTokens
    {
        get
        {
            long count = 0;
            for (int r = 0; r < rows; r++)
                for (int t = 1; t < length; t++)
                    if (labels[r * length + t] != -100) count++;
            return count;
        }
    }

    /// <summary>Real (not padding) tokens.</summary>
    public long Tokens => keep.LongCount(k => k != 0);
}
