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
/// Each shard's SHA-256 is checked against the manifest before its rows are read, so a shard changed
/// or damaged since the ETL wrote it is refused by name, never half-read.
/// </summary>
public sealed class ShardDataView : IDataView
{
    readonly IReadOnlyList<(string File, string Sha256)> _files;
    readonly long _rows;

    ShardDataView(IReadOnlyList<(string File, string Sha256)> files, long rows, Etl.EtlManifest manifest)
    {
        Manifest = manifest;
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

    /// <summary>
    /// Opens the shards listed in the <c>manifest.json</c> of one ETL output folder or several, read in
    /// the order given. Several folders must have been tokenized alike (template, tokenizer, image
    /// token); their sources' image folders are all kept (<see cref="ImageFolderOf"/>).
    /// </summary>
    public static ShardDataView Open(params string[] folders)
    {
        if (folders.Length == 0) throw new ArgumentException("no shards folder given", nameof(folders));
        var files = new List<(string File, string Sha256)>();
        Etl.EtlManifest? merged = null;
        string first = folders[0];
        foreach (var folder in folders)
        {
            var manifest = ReadManifest(folder, files);
            merged = merged is null ? manifest : Merge(merged, first, manifest, folder);
        }
        return new ShardDataView(files, merged!.Rows, merged);
    }

    static Etl.EtlManifest ReadManifest(string folder, List<(string File, string Sha256)> files)
    {
        string manifestPath = Path.Combine(folder, Etl.EtlManifest.FileName);
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"{folder}: no {Etl.EtlManifest.FileName}; the ETL run is incomplete or this is not an ETL output folder", manifestPath);
        Etl.EtlManifest manifest;
        try
        {
            manifest = System.Text.Json.JsonSerializer.Deserialize<Etl.EtlManifest>(File.ReadAllBytes(manifestPath), Etl.EtlRunner.Json)
                ?? throw new InvalidDataException($"{manifestPath}: empty manifest");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{manifestPath}: not a valid manifest ({e.Message})", e);
        }
        foreach (var shard in manifest.Shards)
        {
            if (shard is null || string.IsNullOrEmpty(shard.File) || Path.GetFileName(shard.File) != shard.File || string.IsNullOrEmpty(shard.Sha256))
                throw new InvalidDataException($"{manifestPath}: a shard entry without a file name in the folder and its sha256");
            string path = Path.Combine(folder, shard.File);
            if (!File.Exists(path)) throw new FileNotFoundException($"{manifestPath}: lists {shard.File}, which does not exist", path);
            files.Add((path, shard.Sha256));
        }
        return manifest;
    }

    /// <summary>One manifest for shards of several folders: rows added, sources joined; folders tokenized differently refused.</summary>
    static Etl.EtlManifest Merge(Etl.EtlManifest into, string intoFolder, Etl.EtlManifest next, string folder)
    {
        void Same<T>(T a, T b, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b))
                throw new InvalidDataException($"{folder} was tokenized with another {what} than {intoFolder} ({b} vs {a}); shards read together must be prepared alike");
        }
        Same(into.Config?.Template, next.Config?.Template, "chat template");
        Same(into.TokenizerSha256, next.TokenizerSha256, "tokenizer (sha256)");
        Same(into.ImageTokenId, next.ImageTokenId, "image token id");
        var sources = (into.Config?.Sources ?? []).ToList();
        foreach (var source in next.Config?.Sources ?? [])
        {
            var known = sources.FirstOrDefault(s => s.Name == source.Name);
            if (known is null) sources.Add(source);
            else if (Path.GetFullPath(known.Images) != Path.GetFullPath(source.Images))
                throw new InvalidDataException($"{folder} and {intoFolder} both have source {source.Name}, with images in {source.Images} and {known.Images}; rows could not tell which folder their image is in");
        }
        return new Etl.EtlManifest
        {
            Rows = into.Rows + next.Rows, Records = into.Records + next.Records, Rejected = into.Rejected + next.Rejected, Truncated = into.Truncated + next.Truncated,
            Config = into.Config is null ? null : into.Config with { Sources = sources }, TokenizerSha256 = into.TokenizerSha256, ImageTokenId = into.ImageTokenId,
            Shards = [.. into.Shards, .. next.Shards],
        };
    }

    /// <summary>The image folder of a source the rows name in their <c>source</c> column; null when the manifests do not say.</summary>
    public string? ImageFolderOf(string source) =>
        Manifest.Config?.Sources.FirstOrDefault(s => s.Name == source) is { } found ? Path.GetFullPath(found.Images) : null;

    /// <summary>The ETL run's manifest (several folders': one merged): the chat template the rows were tokenized with, the sources and their image folders.</summary>
    public Etl.EtlManifest Manifest { get; }

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

        static IEnumerable<ShardRow> Rows(IReadOnlyList<(string File, string Sha256)> files)
        {
            foreach (var (file, sha256) in files)
            {
                string actual = ShardFile.HashAsync(file).GetAwaiter().GetResult();
                if (actual != sha256)
                    throw new InvalidDataException($"{file}: its sha256 is {actual}, not the manifest's {sha256}; the shard changed since the ETL wrote it (run vlm prepare again)");
                ParquetFraming.Check(file);
                int groups = Read(file, "the file", () => RowGroupCount(file));
                for (int g = 0; g < groups; g++)
                {
                    var rows = Read(file, $"row group {g}", () =>
                    {
                        using var stream = File.OpenRead(file);
                        return ParquetSerializer.DeserializeAsync<ShardRow>(stream, rowGroupIndex: g).GetAwaiter().GetResult().Data;
                    });
                    foreach (var row in rows)
                    {
                        // A file that parses can still hold rows the trainer cannot use.
                        if (row.Id is null || row.Source is null || row.InputIds is null || row.Labels is null || row.InputIds.Count != row.Labels.Count)
                            throw new InvalidDataException($"{file}: row group {g} has a row without id, source, or input_ids and labels of one length");
                        yield return row;
                    }
                }
            }
        }

        /// <summary>Parquet's own errors on a damaged file come in many types; here they name the file and part.</summary>
        static T Read<T>(string file, string part, Func<T> read)
        {
            try
            {
                return read();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"{file}: {part} cannot be read as a shard ({e.GetType().Name}: {e.Message})", e);
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
