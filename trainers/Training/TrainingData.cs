using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Transforms.Data;

namespace Vlm.Trainers.Training;

/// <summary>
/// Reads the trainer's columns from an <see cref="IDataView"/> of shards (see <c>ShardDataView</c>),
/// or straight from the ETL steps' output, whose rejected rows (non-empty <c>reject_reason</c>) are skipped.
/// One pass of the cursor copies them into a <see cref="TrainingRows"/> file in the folder given,
/// so memory does not grow with the dataset.
/// </summary>
internal static class TrainingData
{
    /// <param name="data">The rows.</param>
    /// <param name="folder">Where the row file is kept while training runs.</param>
    /// <param name="imagePath">Given a row's source and image, the image's path (rows of several sources with folders of their own); null keeps the image as the row has it.</param>
    public static TrainingRows Read(IDataView data, string folder, Func<string, string, string>? imagePath = null)
    {
        foreach (var name in new[] { VlmColumns.InputIds, VlmColumns.Labels, VlmColumns.Image })
            if (data.Schema.GetColumnOrNull(name) is null) throw new ArgumentException($"the training data has no '{name}' column; give it the shards of vlm prepare");
        var columns = new List<DataViewSchema.Column> { data.Schema[VlmColumns.InputIds], data.Schema[VlmColumns.Labels], data.Schema[VlmColumns.Image] };
        var rejectColumn = data.Schema.GetColumnOrNull(VlmColumns.RejectReason);
        if (rejectColumn is { } rc) columns.Add(rc);
        var shaColumn = data.Schema.GetColumnOrNull(VlmColumns.ImageSha256);
        if (shaColumn is { } sc) columns.Add(sc);
        var sourceColumn = imagePath is null ? null : data.Schema.GetColumnOrNull(VlmColumns.Source);
        if (sourceColumn is { } so) columns.Add(so);
        using var cursor = data.GetRowCursor(columns);
        var ids = cursor.GetGetter<VBuffer<int>>(columns[0]);
        var labels = cursor.GetGetter<VBuffer<int>>(columns[1]);
        var image = cursor.GetGetter<ReadOnlyMemory<char>>(columns[2]);
        var reject = rejectColumn is { } r ? cursor.GetGetter<ReadOnlyMemory<char>>(r) : null;
        var sha = shaColumn is { } s ? cursor.GetGetter<ReadOnlyMemory<char>>(s) : null;
        var source = sourceColumn is { } sg ? cursor.GetGetter<ReadOnlyMemory<char>>(sg) : null;
        ReadOnlyMemory<char> rejectValue = default, shaValue = default, sourceValue = default;
        VBuffer<int> idValues = default, labelValues = default;
        ReadOnlyMemory<char> imageValue = default;
        var rows = new TrainingRows(folder);
        try
        {
            while (cursor.MoveNext())
            {
                if (reject is not null)
                {
                    reject(ref rejectValue);
                    if (!rejectValue.IsEmpty) continue;
                }
                ids(ref idValues);
                labels(ref labelValues);
                image(ref imageValue);
                sha?.Invoke(ref shaValue);
                if (idValues.Length != labelValues.Length)
                    throw new InvalidDataException($"row {cursor.Position}: {idValues.Length} input ids but {labelValues.Length} labels");
                string? imageName = imageValue.IsEmpty ? null : imageValue.ToString();
                if (imageName is not null && source is not null)
                {
                    source(ref sourceValue);
                    imageName = imagePath!(sourceValue.ToString(), imageName);
                }
                rows.Add(Dense(ref idValues), Dense(ref labelValues), imageName, shaValue.IsEmpty ? null : shaValue.ToString());
            }
            if (rows.Count == 0) throw new ArgumentException("the training data has no rows");
            return rows;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    static ReadOnlySpan<int> Dense(ref VBuffer<int> values)
    {
        if (!values.IsDense) values = new VBuffer<int>(values.Length, [.. values.DenseValues()]);
        return values.GetValues();
    }
}
