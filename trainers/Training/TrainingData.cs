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
    public static TrainingRows Read(IDataView data, string folder)
    {
        foreach (var name in new[] { VlmColumns.InputIds, VlmColumns.Labels, VlmColumns.Image })
            if (data.Schema.GetColumnOrNull(name) is null) throw new ArgumentException($"the training data has no '{name}' column; give it the shards of vlm prepare");
        var columns = new List<DataViewSchema.Column> { data.Schema[VlmColumns.InputIds], data.Schema[VlmColumns.Labels], data.Schema[VlmColumns.Image] };
        var rejectColumn = data.Schema.GetColumnOrNull(VlmColumns.RejectReason);
        if (rejectColumn is { } rc) columns.Add(rc);
        var shaColumn = data.Schema.GetColumnOrNull(VlmColumns.ImageSha256);
        if (shaColumn is { } sc) columns.Add(sc);
        using var cursor = data.GetRowCursor(columns);
        var ids = cursor.GetGetter<VBuffer<int>>(columns[0]);
        var labels = cursor.GetGetter<VBuffer<int>>(columns[1]);
        var image = cursor.GetGetter<ReadOnlyMemory<char>>(columns[2]);
        var reject = rejectColumn is { } r ? cursor.GetGetter<ReadOnlyMemory<char>>(r) : null;
        var sha = shaColumn is { } s ? cursor.GetGetter<ReadOnlyMemory<char>>(s) : null;
        ReadOnlyMemory<char> rejectValue = default, shaValue = default;
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
                rows.Add(Dense(ref idValues), Dense(ref labelValues), imageValue.IsEmpty ? null : imageValue.ToString(), shaValue.IsEmpty ? null : shaValue.ToString());
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
