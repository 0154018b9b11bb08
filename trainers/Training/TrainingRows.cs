using System.Buffers.Binary;
using System.Collections;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Vlm.Trainers.Training;

/// <summary>
/// The training rows in a file, read back one row at a time in any order: written once in a single
/// pass over the data (the shards' cursor streams them), then read with positioned reads as the epoch
/// order asks. Memory holds 12 bytes per row (where each row starts, its length) however long the
/// rows are; the rows themselves stay on disk and in the operating system's file cache, which is not
/// the process's memory. The file is deleted when the rows are disposed (or the process ends).
/// </summary>
/// <remarks>A row is stored as three int32 (tokens, image bytes, image-sha bytes), the ids, the labels, then the two UTF-8 texts.</remarks>
internal sealed class TrainingRows : IReadOnlyList<TrainingExample>, IDisposable
{
    const int HeaderBytes = 12;
    readonly FileStream _file;
    readonly List<long> _starts = [0];
    readonly List<int> _lengths = [];
    bool _sealed;

    public TrainingRows(string folder)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, $".rows-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
        FilePath = path;
    }

    /// <summary>Where the rows are kept while training runs.</summary>
    public string FilePath { get; }

    public int Count => _lengths.Count;

    /// <summary>The token count of every row, without reading the rows (the length-grouped order needs only these).</summary>
    public IReadOnlyList<int> Lengths => _lengths;

    /// <summary>Appends a row; rows cannot be added once one has been read.</summary>
    public void Add(ReadOnlySpan<int> ids, ReadOnlySpan<int> labels, string? image, string? imageSha256 = null)
    {
        if (_sealed) throw new InvalidOperationException("rows cannot be added after reading has started");
        if (ids.Length != labels.Length) throw new ArgumentException($"{ids.Length} input ids but {labels.Length} labels");
        byte[] imageBytes = image is null ? [] : Encoding.UTF8.GetBytes(image), shaBytes = imageSha256 is null ? [] : Encoding.UTF8.GetBytes(imageSha256);
        // A text-only row and a row whose image is "" differ: -1 marks "no image".
        Span<byte> header = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteInt32LittleEndian(header, ids.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], image is null ? -1 : imageBytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], shaBytes.Length);
        _file.Write(header);
        _file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(ids));
        _file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels));
        _file.Write(imageBytes);
        _file.Write(shaBytes);
        _starts.Add(_starts[^1] + HeaderBytes + 8L * ids.Length + imageBytes.Length + shaBytes.Length);
        _lengths.Add(ids.Length);
    }

    public TrainingExample this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            SafeFileHandle handle = Seal();
            var bytes = new byte[_starts[index + 1] - _starts[index]];
            int read = 0;
            while (read < bytes.Length)
            {
                int n = RandomAccess.Read(handle, bytes.AsSpan(read), _starts[index] + read);
                if (n == 0) throw new EndOfStreamException($"{FilePath}: row {index} ends early; the file was changed while training ran");
                read += n;
            }
            int tokens = BinaryPrimitives.ReadInt32LittleEndian(bytes), imageLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)), shaLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes.AsSpan(HeaderBytes, 8 * tokens));
            int textAt = HeaderBytes + 8 * tokens, imageBytes = Math.Max(imageLength, 0);
            return new TrainingExample(values[..tokens].ToArray(), values[tokens..].ToArray(),
                imageLength < 0 ? null : Encoding.UTF8.GetString(bytes, textAt, imageBytes),
                shaLength == 0 ? null : Encoding.UTF8.GetString(bytes, textAt + imageBytes, shaLength));
        }
    }

    SafeFileHandle Seal()
    {
        if (!_sealed)
            lock (_file)
                if (!_sealed)
                {
                    _file.Flush();
                    _sealed = true;
                }
        return _file.SafeFileHandle;
    }

    public IEnumerator<TrainingExample> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose() => _file.Dispose();
}
