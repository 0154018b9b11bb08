using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Transforms.Data;

namespace Vlm.Trainers.Training;

/// <summary>
/// Reads the trainer's columns from an <see cref="IDataView"/> of shards (see <c>ShardDataView</c>),
/// or straight from the ETL steps' output, whose rejected rows (non-empty <c>reject_reason</c>) are skipped.
/// </summary>
internal static class TrainingData
{
    public static List<TrainingExample> Read(IDataView data)
    {
        foreach (var name in new[] { VlmColumns.InputIds, VlmColumns.Labels, VlmColumns.Image })
            if (data.Schema.GetColumnOrNull(name) is null) throw new ArgumentException($"the training data has no '{name}' column; give it the shards of vlm prepare");
        var columns = new List<DataViewSchema.Column> { data.Schema[VlmColumns.InputIds], data.Schema[VlmColumns.Labels], data.Schema[VlmColumns.Image] };
        var rejectColumn = data.Schema.GetColumnOrNull(VlmColumns.RejectReason);
        if (rejectColumn is { } rc) columns.Add(rc);
        using var cursor = data.GetRowCursor(columns);
        var ids = cursor.GetGetter<VBuffer<int>>(columns[0]);
        var labels = cursor.GetGetter<VBuffer<int>>(columns[1]);
        var image = cursor.GetGetter<ReadOnlyMemory<char>>(columns[2]);
        var reject = rejectColumn is { } r ? cursor.GetGetter<ReadOnlyMemory<char>>(r) : null;
        ReadOnlyMemory<char> rejectValue = default;
        var examples = new List<TrainingExample>();
        VBuffer<int> idValues = default, labelValues = default;
        ReadOnlyMemory<char> imageValue = default;
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
            if (idValues.Length != labelValues.Length)
                throw new InvalidDataException($"row {cursor.Position}: {idValues.Length} input ids but {labelValues.Length} labels");
            examples.Add(new TrainingExample([.. idValues.DenseValues()], [.. labelValues.DenseValues()], imageValue.IsEmpty ? null : imageValue.ToString()));
        }
        if (examples.Count == 0) throw new ArgumentException("the training data has no rows");
        return examples;
    }
}
