using System.Buffers.Binary;

namespace Vlm.Datasets.Shards;

/// <summary>
/// Checks a Parquet file's framing before a Parquet library reads it: "PAR1" at both ends, a footer
/// length inside the file, and a footer that is one well-formed Thrift compact-protocol struct (every
/// field type known, every length and element count within the bytes that remain, nesting bounded).
/// A damaged footer can otherwise send a reader into an endless loop (a field of type 0 is skipped
/// forever); this walk takes one pass over at most the footer's bytes.
/// </summary>
public static class ParquetFraming
{
    const int MaxDepth = 64;

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="path"/> when the framing is broken.</summary>
    public static void Check(string path)
    {
        using var stream = File.OpenRead(path);
        long length = stream.Length;
        if (length < 12) throw Broken(path, $"{length} bytes is too short for a Parquet file");
        Span<byte> head = stackalloc byte[4], tail = stackalloc byte[8];
        stream.ReadExactly(head);
        stream.Seek(-8, SeekOrigin.End);
        stream.ReadExactly(tail);
        if (!head.SequenceEqual("PAR1"u8) || !tail[4..].SequenceEqual("PAR1"u8)) throw Broken(path, "no PAR1 magic at the start and end");
        uint footerLength = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        if (footerLength == 0 || footerLength > length - 12) throw Broken(path, $"the footer length {footerLength} does not fit in {length} bytes");
        var footer = new byte[footerLength];
        stream.Seek(length - 8 - footerLength, SeekOrigin.Begin);
        stream.ReadExactly(footer);
        var walk = new Walk(footer);
        try
        {
            walk.Value(Struct, 0);
        }
        catch (FormatException e)
        {
            throw Broken(path, $"the footer is not well-formed ({e.Message} at footer byte {walk.Position})");
        }
    }

    static InvalidDataException Broken(string path, string why) => new($"{path}: not a readable Parquet file: {why}");

    const int BoolTrue = 1, BoolFalse = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Set = 10, Map = 11, Struct = 12;

    sealed class Walk(byte[] bytes)
    {
        public int Position { get; private set; }
        int Remaining => bytes.Length - Position;

        byte Next() => Position < bytes.Length ? bytes[Position++] : throw new FormatException("the footer ends inside a value");

        ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 70; shift += 7)
            {
                byte b = Next();
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return value;
            }
            throw new FormatException("a varint longer than 10 bytes");
        }

        /// <summary>A count or length: each counted item takes at least one byte, so more than remain is a lie.</summary>
        int Bounded(ulong count, string what) => count <= (ulong)Remaining ? (int)count : throw new FormatException($"{what} {count} with {Remaining} bytes left");

        // Not "Position += Bounded(Varint(), ...)": C# reads Position before the varint moves it.
        void Advance(ulong count, string what)
        {
            int n = Bounded(count, what);
            Position += n;
        }

        public void Value(int type, int depth)
        {
            if (depth > MaxDepth) throw new FormatException($"nesting deeper than {MaxDepth}");
            switch (type)
            {
                case BoolTrue or BoolFalse: return;
                case Byte: Next(); return;
                case I16 or I32 or I64: Varint(); return;
                case Double: Advance(8, "a double of"); return;
                case Binary: Advance(Varint(), "a binary length"); return;
                case List or Set:
                {
                    byte header = Next();
                    ulong size = (ulong)(header >> 4);
                    if (size == 15) size = Varint();
                    int count = Bounded(size, "a list size"), element = header & 0x0F;
                    for (int i = 0; i < count; i++)
                        if (element is BoolTrue or BoolFalse) Next(); else Value(Known(element), depth + 1);
                    return;
                }
                case Map:
                {
                    int count = Bounded(Varint(), "a map size");
                    if (count == 0) return;
                    byte kinds = Next();
                    for (int i = 0; i < count; i++)
                    {
                        Value(Known(kinds >> 4), depth + 1);
                        Value(Known(kinds & 0x0F), depth + 1);
                    }
                    return;
                }
                case Struct:
                    while (true)
                    {
                        byte header = Next();
                        if (header == 0) return;
                        if ((header >> 4) == 0) Varint(); // the field id, when not a delta
                        Value(Known(header & 0x0F), depth + 1);
                    }
                default: throw new FormatException($"unknown type {type}");
            }
        }

        static int Known(int type) => type is >= BoolTrue and <= Struct ? type : throw new FormatException($"unknown type {type}");
    }
}
