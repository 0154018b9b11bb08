using System.Security.Cryptography;
using Parquet;
using Parquet.Serialization;
using Vlm.Datasets.IO;

namespace Vlm.Datasets.Shards;

/// <summary>Writes and reads Parquet shards of <see cref="ShardRow"/>s.</summary>
public static class ShardFile
{
    /// <summary>Rows per row group: small enough to stream, large enough to compress well.</summary>
    public const int DefaultRowGroupSize = 512;

    /// <summary>
    /// Writes <paramref name="rows"/> to <paramref name="path"/> atomically (a temporary file renamed
    /// into place) and returns the SHA-256 of the file's bytes. The same rows give the same bytes.
    /// </summary>
    public static async Task<string> WriteAsync(string path, IReadOnlyCollection<ShardRow> rows, int rowGroupSize = DefaultRowGroupSize,
        CancellationToken cancellation = default)
    {
        if (rows.Count == 0) throw new ArgumentException("a shard needs at least one row", nameof(rows));
        await AtomicFile.WriteAsync(path, stream =>
            ParquetSerializer.SerializeAsync(rows, stream, new ParquetOptions { RowGroupSize = rowGroupSize }, cancellationToken: cancellation));
        return await HashAsync(path, cancellation);
    }

    public static async Task<IList<ShardRow>> ReadAsync(string path, CancellationToken cancellation = default) =>
        (await ParquetSerializer.DeserializeAsync<ShardRow>(path, cancellationToken: cancellation)).Data;

    /// <summary>The <c>id</c> column alone, row group by row group (no other column is decoded).</summary>
    public static async IAsyncEnumerable<string> ReadIdsAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellation);
        var field = reader.Schema.GetDataFields().FirstOrDefault(f => f.Name == "id")
            ?? throw new InvalidDataException($"{path}: the shard has no id column");
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var ids = new string?[group.RowCount];
            await group.ReadAsync(field, ids.AsMemory(), null, cancellation);
            foreach (var id in ids) yield return id ?? "";
        }
    }

    public static async Task<string> HashAsync(string path, CancellationToken cancellation = default)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellation));
    }
}
