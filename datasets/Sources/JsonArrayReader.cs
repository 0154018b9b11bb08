namespace Vlm.Datasets.Sources;

/// <summary>
/// Streams the elements of a top-level JSON array as raw bytes, one element at a time, so that a
/// 1 GB annotation file never has to fit in memory: memory is bounded by the largest element.
/// Only the array's framing is checked here (brackets, strings, commas); each element is parsed by
/// the caller, so a bad element can be rejected on its own while the rest of the file goes on.
/// Framing errors throw <see cref="InvalidDataException"/> with the file and byte position.
/// </summary>
internal static class JsonArrayReader
{
    /// <summary>One element: its zero-based index, its byte offset in the file, and its bytes.</summary>
    internal readonly record struct Element(long Index, long Offset, byte[] Bytes);

    sealed class Cursor(Stream stream)
    {
        public long Consumed { get; private set; }

        public int Read()
        {
            int b = stream.ReadByte();
            if (b >= 0) Consumed++;
            return b;
        }
    }

    public static IEnumerable<Element> Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var cursor = new Cursor(file);
        int b = cursor.Read();
        if (b == 0xEF && cursor.Read() == 0xBB && cursor.Read() == 0xBF) b = cursor.Read(); // UTF-8 BOM
        b = SkipWhitespace(cursor, b);
        if (b != '[') throw Error(path, cursor, b < 0 ? "the file is empty; expected a JSON array" : "expected '[' to start a JSON array");

        b = SkipWhitespace(cursor, cursor.Read());
        var element = new MemoryStream();
        long index = 0;
        if (b != ']')
        {
            while (true)
            {
                if (b < 0) throw Error(path, cursor, "the file ends inside the array (truncated?)");
                long offset = cursor.Consumed - 1;
                element.SetLength(0);
                b = SkipWhitespace(cursor, CopyElement(path, cursor, element, b));
                yield return new Element(index++, offset, element.ToArray());
                if (b == ']') break;
                if (b != ',') throw Error(path, cursor, b < 0 ? "the file ends inside the array (truncated?)" : $"expected ',' or ']' after element {index - 1}");
                b = SkipWhitespace(cursor, cursor.Read());
            }
        }
        if (SkipWhitespace(cursor, cursor.Read()) >= 0) throw Error(path, cursor, "unexpected content after the closing ']'");
    }

    // Copies the element that starts with byte `b`; returns the first byte after it (-1 at the end).
    static int CopyElement(string path, Cursor cursor, MemoryStream output, int b)
    {
        if (b is not ('{' or '[' or '"'))
        {
            // a number, true, false or null: up to the next delimiter
            while (b >= 0 && b is not (',' or ']' or ' ' or '\t' or '\r' or '\n'))
            {
                output.WriteByte((byte)b);
                b = cursor.Read();
            }
            return b;
        }
        int depth = 0;
        bool inString = false, escaped = false;
        while (true)
        {
            if (b < 0) throw Error(path, cursor, "the file ends inside an element (truncated?)");
            output.WriteByte((byte)b);
            if (inString)
            {
                if (escaped) escaped = false;
                else if (b == '\\') escaped = true;
                else if (b == '"')
                {
                    inString = false;
                    if (depth == 0) return cursor.Read(); // a string element ends here
                }
            }
            else if (b == '"') inString = true;
            else if (b is '{' or '[') depth++;
            else if (b is '}' or ']' && --depth == 0) return cursor.Read();
            b = cursor.Read();
        }
    }

    static int SkipWhitespace(Cursor cursor, int b)
    {
        while (b is ' ' or '\t' or '\r' or '\n') b = cursor.Read();
        return b;
    }

    static InvalidDataException Error(string path, Cursor cursor, string reason) =>
        new($"{path}: byte {Math.Max(0, cursor.Consumed - 1)}: {reason}");
}
