using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Datasets.Sources;
using Vlm.Transforms.Data;

namespace Vlm.Transforms.Etl;

/// <summary>
/// One annotation file's records as an <see cref="IDataView"/>, streamed: <c>id</c>, <c>source</c>,
/// <c>file</c>, <c>record_index</c>, <c>image</c> (as the file names it; empty for text-only records),
/// <c>conversations</c> (LLaVA JSON, written only when a cursor reads it), <c>turns</c> (the same turns
/// as read, which the tokenizer takes: no JSON between them) and <c>reject_reason</c> (why the source
/// could not read the record; empty when it could). Caption files come through the caption policy, seeded.
/// </summary>
public sealed class ConversationDataView : IDataView
{
    readonly EtlSource _source;
    readonly int _seed;
    readonly bool _allowPartial;

    /// <param name="allowPartial">a break in the file's framing (a truncated file) ends it as one more rejected record instead of failing the read</param>
    public ConversationDataView(EtlSource source, int seed = 42, bool allowPartial = false)
    {
        _source = source;
        _seed = seed;
        _allowPartial = allowPartial;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(VlmColumns.Id, TextDataViewType.Instance);
        builder.AddColumn(VlmColumns.Source, TextDataViewType.Instance);
        builder.AddColumn(VlmColumns.File, TextDataViewType.Instance);
        builder.AddColumn(VlmColumns.RecordIndex, NumberDataViewType.Int64);
        builder.AddColumn(VlmColumns.Image, TextDataViewType.Instance);
        builder.AddColumn(VlmColumns.Conversations, TextDataViewType.Instance);
        builder.AddColumn(VlmColumns.Turns, TurnsDataViewType.Instance);
        builder.AddColumn(VlmColumns.RejectReason, TextDataViewType.Instance);
        Schema = builder.ToSchema();
    }

    internal EtlSource Source => _source;
    internal int Seed => _seed;
    internal bool AllowPartial => _allowPartial;

    public bool CanShuffle => false;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    sealed class Cursor(ConversationDataView view, HashSet<int> active) : DataViewRowCursor
    {
        readonly IEnumerator<SourceItem<ConversationRecord>> _items = EtlRecords.Read(view._source, view._seed, view._allowPartial).GetEnumerator();
        readonly string _sourceName = view._source.Name;
        long _position = -1;

        public override DataViewSchema Schema => view.Schema;
        public override long Position => _position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override bool MoveNext()
        {
            if (!_items.MoveNext()) return false;
            _position++;
            return true;
        }

        SourceItem<ConversationRecord> Item => _position >= 0 ? _items.Current : throw new InvalidOperationException("the cursor is not on a row");

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column)) throw new InvalidOperationException($"column '{column.Name}' is not active in this cursor");
            Delegate getter = column.Name switch
            {
                VlmColumns.Id => RowGetters.Text(() => Item.Id ?? ""),
                VlmColumns.Source => RowGetters.Text(() => _sourceName),
                VlmColumns.File => RowGetters.Text(() => Item.File),
                VlmColumns.RecordIndex => (ValueGetter<long>)((ref long value) => value = Item.Index),
                VlmColumns.Image => RowGetters.Text(() => Item.Record?.Image ?? ""),
                VlmColumns.Conversations => RowGetters.Text(() => Item.Record is { } record ? ConversationJson.Write(record.Turns) : ""),
                VlmColumns.Turns => (ValueGetter<IReadOnlyList<Turn>>)((ref IReadOnlyList<Turn> value) => value = Item.Record?.Turns ?? []),
                VlmColumns.RejectReason => RowGetters.Text(() => Item.RejectReason ?? ""),
                _ => throw new ArgumentOutOfRangeException(nameof(column), column.Name, "no such column"),
            };
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"column '{column.Name}' cannot be read as {typeof(TValue).Name}");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _items.Dispose();
            base.Dispose(disposing);
        }
    }
}
