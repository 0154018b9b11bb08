using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vlm.Transforms.Data;

/// <summary>The input's rows with a <see cref="ColumnMappingTransformer"/>'s columns added.</summary>
internal sealed class MappedDataView(IDataView input, DataViewSchema schema, ColumnMappingTransformer transformer) : IDataView
{
    /// <summary>The view this one adds columns to, and the transformer that adds them (how a chain's settings are found again).</summary>
    public IDataView Input => input;
    public ColumnMappingTransformer Transformer => transformer;

    public bool CanShuffle => false;
    public DataViewSchema Schema => schema;
    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        // Added columns may read any input column, so the input cursor serves them all; the input's
        // getters are lazy, so an unread column costs nothing.
        var cursor = input.GetRowCursor(input.Schema.ToArray(), rand);
        return new Cursor(cursor, schema, _inputColumns, transformer.Getters(cursor), columnsNeeded.Select(c => c.Index).ToHashSet());
    }

    // The output's leading columns are the input's visible columns it keeps (see ColumnMappingTransformer.GetOutputSchema), by name.
    readonly int[] _inputColumns = [.. schema.Take(schema.Count - transformer.Outputs.Count).Select(c => input.Schema[c.Name].Index)];

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    sealed class Cursor(DataViewRowCursor input, DataViewSchema schema, int[] inputColumns, Delegate[] added, HashSet<int> active) : DataViewRowCursor
    {
        public override DataViewSchema Schema => schema;
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override bool MoveNext() => input.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column)) throw new InvalidOperationException($"column '{column.Name}' is not active in this cursor");
            if (column.Index < inputColumns.Length) return input.GetGetter<TValue>(input.Schema[inputColumns[column.Index]]);
            return added[column.Index - inputColumns.Length] as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"column '{column.Name}' cannot be read as {typeof(TValue).Name}");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) input.Dispose();
            base.Dispose(disposing);
        }
    }
}
