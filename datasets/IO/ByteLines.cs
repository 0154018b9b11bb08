namespace Vlm.Datasets.IO;

/// <summary>
/// Reads a file as lines of raw bytes, streaming: "\n" ends a line and a "\r" before it is dropped;
/// a final newline does not start an empty line. Callers decode (and so can report bad UTF-8 by line).
/// </summary>
public static class ByteLines
{
    /// <summary>Each line with its one-based number. The memory is reused: copy what must outlive the step.</summary>
    public static IEnumerable<(int Number, ReadOnlyMemory<byte> Bytes)> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var line = new MemoryStream();
        int number = 0, b;
        do
        {
            b = stream.ReadByte();
            if (b >= 0 && b != '\n')
            {
                line.WriteByte((byte)b);
                continue;
            }
            if (b < 0 && line.Length == 0) break;
            int length = (int)line.Length;
            if (length > 0 && line.GetBuffer()[length - 1] == '\r') length--;
            yield return (++number, line.GetBuffer().AsMemory(0, length));
            line.SetLength(0);
        }
        while (b >= 0);
    }
}
