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

    public static async Task<string> HashAsync(string path, CancellationToken cancellation = default)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellation));
    }
}
