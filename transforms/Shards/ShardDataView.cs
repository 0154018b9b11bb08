using Microsoft.ML;
using Microsoft.ML.Data;
using Parquet;
using Parquet.Serialization;
using Vlm.Datasets.Shards;
using Vlm.Transforms.Data;

namespace Vlm.Transforms.Shards;

/// <summary>
/// The shards of an ETL output folder as an ML.NET <see cref="IDataView"/>: typed columns
/// (text, int32 vectors of variable length, int32), read lazily one Parquet row group at a time,
/// so <c>mlContext.Data</c> operations and the trainer stream them without loading the dataset.
/// </summary>
public sealed class ShardDataView : IDataView
{
    readonly IReadOnlyList<string> _files;
    readonly long _rows;

    ShardDataView(IReadOnlyList<string> files, long rows)
    {
        _files = files;
        _rows = rows;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(VlmColumns.Id, TextDataViewType.Instance);
        builder.AddColumn(VlmColumns.Source, TextDataViewType.Instance);
        builder.AddColumn(VlmColumns.Image, TextDataViewType.Instance);
        builder.AddColumn(VlmColumns.ImageSha256, TextDataViewType.Instance);
        builder.AddColumn(VlmColumns.InputIds, new VectorDataViewType(NumberDataViewType.Int32));
        builder.AddColumn(VlmColumns.Labels, new VectorDataViewType(NumberDataViewType.Int32));
        builder.AddColumn(VlmColumns.NumImageTokens, NumberDataViewType.Int32);
        builder.AddColumn(VlmColumns.Text, TextDataViewType.Instance);
        Schema = builder.ToSchema();
    }

    /// <summary>Opens the shards listed in the <c>manifest.json</c> of an ETL output folder.</summary>
    public static ShardDataView Open(string folder)
    {
        string manifestPath = Path.Combine(folder, Etl.EtlManifest.FileName);
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"{folder}: no {Etl.EtlManifest.FileName}; the ETL run is incomplete or this is not an ETL output folder", manifestPath);
        var manifest = System.Text.Json.JsonSerializer.Deserialize<Etl.EtlManifest>(File.ReadAllBytes(manifestPath), Etl.EtlRunner.Json)
            ?? throw new InvalidDataException($"{manifestPath}: empty manifest");
        var files = manifest.Shards.Select(s => Path.Combine(folder, s.File)).ToList();
        foreach (var f in files.Where(f => !File.Exists(f)))
            throw new FileNotFoundException($"{manifestPath}: lists {Path.GetFileName(f)}, which does not exist", f);
        return new ShardDataView(files, manifest.Rows);
    }

    public bool CanShuffle => false;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => _rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    sealed class Cursor(ShardDataView view, HashSet<int> active) : DataViewRowCursor
    {
        readonly IEnumerator<ShardRow> _rows = Rows(view._files).GetEnumerator();
        ShardRow? _current;
        long _position = -1;

        public override DataViewSchema Schema => view.Schema;
        public override long Position => _position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        static IEnumerable<ShardRow> Rows(IReadOnlyList<string> files)
        {
            foreach (var file in files)
            {
                int groups = RowGroupCount(file);
                for (int g = 0; g < groups; g++)
                {
                    using var stream = File.OpenRead(file);
                    foreach (var row in ParquetSerializer.DeserializeAsync<ShardRow>(stream, rowGroupIndex: g).GetAwaiter().GetResult().Data)
                        yield return row;
                }
            }
        }

        static int RowGroupCount(string file)
        {
            using var stream = File.OpenRead(file);
            var reader = ParquetReader.CreateAsync(stream).GetAwaiter().GetResult();
            try
            {
                return reader.RowGroupCount;
            }
            finally
            {
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        public override bool MoveNext()
        {
            if (!_rows.MoveNext())
            {
                _current = null;
                return false;
            }
            _current = _rows.Current;
            _position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column)) throw new InvalidOperationException($"column '{column.Name}' is not active in this cursor");
            Delegate getter = column.Name switch
            {
                VlmColumns.Id => RowGetters.Text(() => Row.Id),
                VlmColumns.Source => RowGetters.Text(() => Row.Source),
                VlmColumns.Image => RowGetters.Text(() => Row.Image ?? ""),
                VlmColumns.ImageSha256 => RowGetters.Text(() => Row.ImageSha256 ?? ""),
                VlmColumns.Text => RowGetters.Text(() => Row.Text),
                VlmColumns.InputIds => RowGetters.Int32s(() => Row.InputIds),
                VlmColumns.Labels => RowGetters.Int32s(() => Row.Labels),
                VlmColumns.NumImageTokens => (ValueGetter<int>)((ref int value) => value = Row.NumImageTokens),
                _ => throw new ArgumentOutOfRangeException(nameof(column), column.Name, "no such column"),
            };
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"column '{column.Name}' cannot be read as {typeof(TValue).Name}");
        }

        ShardRow Row => _current ?? throw new InvalidOperationException("the cursor is not on a row");

        protected override void Dispose(bool disposing)
        {
            if (disposing) _rows.Dispose();
            base.Dispose(disposing);
        }
    }
}
