using System.Security.Cryptography;
using Parquet;
using Parquet.Serialization;

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
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await ParquetSerializer.SerializeAsync(rows, stream, new ParquetOptions { RowGroupSize = rowGroupSize }, cancellationToken: cancellation);
                await stream.FlushAsync(cancellation);
                stream.Flush(flushToDisk: true);
            }
            string hash = await HashAsync(temp, cancellation);
            File.Move(temp, path, overwrite: true);
            return hash;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static async Task<IList<ShardRow>> ReadAsync(string path, CancellationToken cancellation = default) =>
        (await ParquetSerializer.DeserializeAsync<ShardRow>(path, cancellationToken: cancellation)).Data;

    public static async Task<string> HashAsync(string path, CancellationToken cancellation = default)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellation));
    }
}
