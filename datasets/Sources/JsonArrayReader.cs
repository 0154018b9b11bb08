using System.Text;

namespace Vlm.Datasets.Sources;

/// <summary>
/// Streams the elements of a JSON array, the file's top level or one property of a top-level
/// object (COCO's "annotations"), as raw bytes one element at a time, so that a 1 GB annotation
/// file never has to fit in memory: memory is bounded by the largest element. Only the framing is
/// checked here (brackets, strings, commas); each element is parsed by the caller, so a bad element
/// can be rejected on its own while the rest of the file goes on. Framing errors throw
/// <see cref="InvalidDataException"/> naming the file and byte position.
/// </summary>
internal static class JsonArrayReader
{
    /// <summary>One element: its zero-based index, its byte offset in the file, and its bytes.</summary>
    internal readonly record struct Element(long Index, long Offset, byte[] Bytes);

    sealed class Cursor(string path, Stream stream)
    {
        public string Path { get; } = path;
        public long Consumed { get; private set; }

        public int Read()
        {
            int b = stream.ReadByte();
            if (b >= 0) Consumed++;
            return b;
        }

        public int ReadSkippingWhitespace() => SkipWhitespace(Read());

        public int SkipWhitespace(int b)
        {
            while (b is ' ' or '\t' or '\r' or '\n') b = Read();
            return b;
        }

        public InvalidDataException Error(string reason) => new($"{Path}: byte {Math.Max(0, Consumed - 1)}: {reason}");
    }

    /// <summary>The elements of the file's top-level array.</summary>
    public static IEnumerable<Element> Read(string path)
    {
        using var file = Open(path);
        var cursor = new Cursor(path, file);
        int b = cursor.SkipWhitespace(SkipBom(cursor));
        if (b != '[') throw cursor.Error(b < 0 ? "the file is empty; expected a JSON array" : "expected '[' to start a JSON array");
        foreach (var element in Elements(cursor)) yield return element;
        if (cursor.ReadSkippingWhitespace() >= 0) throw cursor.Error("unexpected content after the closing ']'");
    }

    /// <summary>The elements of the array under <paramref name="property"/> of the file's top-level object.</summary>
    public static IEnumerable<Element> ReadProperty(string path, string property)
    {
        using var file = Open(path);
        var cursor = new Cursor(path, file);
        int b = cursor.SkipWhitespace(SkipBom(cursor));
        if (b != '{') throw cursor.Error(b < 0 ? "the file is empty; expected a JSON object" : "expected '{' to start a JSON object");
        b = cursor.ReadSkippingWhitespace();
        while (b != '}')
        {
            if (b != '"') throw cursor.Error(b < 0 ? "the file ends inside the object (truncated?)" : "expected a property name");
            var key = new MemoryStream();
            b = cursor.SkipWhitespace(CopyElement(cursor, key, b));
            string name = Encoding.UTF8.GetString(key.GetBuffer(), 1, (int)key.Length - 2);
            if (b != ':') throw cursor.Error($"expected ':' after \"{name}\"");
            b = cursor.ReadSkippingWhitespace();
            if (name == property)
            {
                if (b != '[') throw cursor.Error($"\"{property}\" is not an array");
                foreach (var element in Elements(cursor)) yield return element;
                yield break;
            }
            b = cursor.SkipWhitespace(CopyElement(cursor, null, b));
            if (b == ',') b = cursor.ReadSkippingWhitespace();
            else if (b != '}') throw cursor.Error(b < 0 ? "the file ends inside the object (truncated?)" : $"expected ',' or '}}' after \"{name}\"");
        }
        throw cursor.Error($"the file has no \"{property}\" array");
    }

    static FileStream Open(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);

    static int SkipBom(Cursor cursor)
    {
        int b = cursor.Read();
        if (b == 0xEF && cursor.Read() == 0xBB && cursor.Read() == 0xBF) b = cursor.Read();
        return b;
    }

    // Called with the array's '[' just read; returns after reading its ']'.
    static IEnumerable<Element> Elements(Cursor cursor)
    {
        int b = cursor.ReadSkippingWhitespace();
        if (b == ']') yield break;
        var element = new MemoryStream();
        long index = 0;
        while (true)
        {
            if (b < 0) throw cursor.Error("the file ends inside the array (truncated?)");
            long offset = cursor.Consumed - 1;
            element.SetLength(0);
            b = cursor.SkipWhitespace(CopyElement(cursor, element, b));
            yield return new Element(index++, offset, element.ToArray());
            if (b == ']') yield break;
            if (b != ',') throw cursor.Error(b < 0 ? "the file ends inside the array (truncated?)" : $"expected ',' or ']' after element {index - 1}");
            b = cursor.ReadSkippingWhitespace();
        }
    }

    // Copies (or, with no output, skips) the value that starts with byte `b`; returns the first byte after it (-1 at the end).
    static int CopyElement(Cursor cursor, MemoryStream? output, int b)
    {
        if (b is not ('{' or '[' or '"'))
        {
            // a number, true, false or null: up to the next delimiter
            while (b >= 0 && b is not (',' or ']' or '}' or ' ' or '\t' or '\r' or '\n'))
            {
                output?.WriteByte((byte)b);
                b = cursor.Read();
            }
            return b;
        }
        int depth = 0;
        bool inString = false, escaped = false;
        while (true)
        {
            if (b < 0) throw cursor.Error("the file ends inside an element (truncated?)");
            output?.WriteByte((byte)b);
            if (inString)
            {
                if (escaped) escaped = false;
                else if (b == '\\') escaped = true;
                else if (b == '"')
                {
                    inString = false;
                    if (depth == 0) return cursor.Read(); // a string value ends here
                }
            }
            else if (b == '"') inString = true;
            else if (b is '{' or '[') depth++;
            else if (b is '}' or ']' && --depth == 0) return cursor.Read();
            b = cursor.Read();
        }
    }
}
