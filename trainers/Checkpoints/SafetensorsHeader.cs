using System.Buffers.Binary;
using System.Text.Json;

namespace Vlm.Trainers.Checkpoints;

/// <summary>One tensor's entry in a safetensors header; offsets are relative to the data section.</summary>
internal sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>
/// The parsed and validated header of a safetensors file: an 8-byte little-endian length, a JSON
/// object of tensor entries (plus optional "__metadata__"), then the data section.
/// Format: https://github.com/huggingface/safetensors (README, "Format").
/// </summary>
internal sealed class SafetensorsHeader
{
    // The reference implementation refuses headers over 100 MB; so do we, before allocating.
    internal const long MaxHeaderBytes = 100L * 1024 * 1024;

    public required IReadOnlyList<SafetensorsEntry> Entries { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    /// <summary>Absolute file offset where the data section begins.</summary>
    public required long DataStart { get; init; }

    /// <summary>Reads and validates the header of <paramref name="path"/>; throws <see cref="CheckpointFormatException"/>.</summary>
    public static SafetensorsHeader Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new CheckpointFormatException(path, null, $"truncated file: {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength < 2 || headerLength > (ulong)MaxHeaderBytes || headerLength > (ulong)(fileLength - 8))
            throw new CheckpointFormatException(path, null,
                $"header length {headerLength} is out of range (the file has {fileLength - 8} bytes after the length; the limit is {MaxHeaderBytes})");
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        long dataStart = 8 + (long)headerLength;
        var header = Parse(path, json, dataStart);
        Validate(path, header.Entries, fileLength - dataStart);
        return header;
    }

    static SafetensorsHeader Parse(string path, byte[] json, long dataStart)
    {
        var entries = new List<SafetensorsEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            // A reader rather than JsonDocument: JsonDocument silently accepts duplicate keys.
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            Expect(ref reader, JsonTokenType.StartObject, path, null, "the header must be a JSON object");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string name = reader.GetString()!;
                if (!seen.Add(name))
                    throw new CheckpointFormatException(path, name, "duplicate tensor name in the header");
                if (name == "__metadata__")
                    ReadMetadata(ref reader, path, metadata);
                else
                    entries.Add(ReadEntry(ref reader, path, name));
            }
            if (reader.TokenType != JsonTokenType.EndObject)
                throw new CheckpointFormatException(path, null, "the header JSON ends early");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, $"the header is not valid JSON ({e.Message})");
        }
        catch (InvalidOperationException e)
        {
            throw new CheckpointFormatException(path, null, $"the header has an unexpected JSON value ({e.Message})");
        }
        return new SafetensorsHeader { Entries = entries, Metadata = metadata, DataStart = dataStart };
    }

    static void ReadMetadata(ref Utf8JsonReader reader, string path, Dictionary<string, string> metadata)
    {
        Expect(ref reader, JsonTokenType.StartObject, path, "__metadata__", "must be an object of strings");
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            Expect(ref reader, JsonTokenType.String, path, "__metadata__", $"value of '{key}' must be a string");
            metadata[key] = reader.GetString()!;
        }
    }

    static SafetensorsEntry ReadEntry(ref Utf8JsonReader reader, string path, string name)
    {
        Expect(ref reader, JsonTokenType.StartObject, path, name, "entry must be an object");
        string? dtype = null;
        long[]? shape = null, offsets = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            switch (key)
            {
                case "dtype":
                    Expect(ref reader, JsonTokenType.String, path, name, "dtype must be a string");
                    dtype = reader.GetString();
                    break;
                case "shape":
                    shape = ReadIntegers(ref reader, path, name, "shape");
                    break;
                case "data_offsets":
                    offsets = ReadIntegers(ref reader, path, name, "data_offsets");
                    break;
                default:
                    throw new CheckpointFormatException(path, name, $"unknown entry field '{key}'");
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw new CheckpointFormatException(path, name, "entry needs dtype, shape and data_offsets");
        if (SafetensorsDType.ElementSize(dtype) is null)
            throw new CheckpointFormatException(path, name, $"unknown dtype '{dtype}'");
        if (offsets.Length != 2)
            throw new CheckpointFormatException(path, name, $"data_offsets must hold 2 numbers, not {offsets.Length}");
        return new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
    }

    static long[] ReadIntegers(ref Utf8JsonReader reader, string path, string name, string field)
    {
        Expect(ref reader, JsonTokenType.StartArray, path, name, $"{field} must be an array of integers");
        var values = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long v) || v < 0)
                throw new CheckpointFormatException(path, name, $"{field} must hold non-negative integers");
            values.Add(v);
        }
        return values.ToArray();
    }

    static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string path, string? name, string reason)
    {
        if (!reader.Read() || reader.TokenType != type) throw new CheckpointFormatException(path, name, reason);
    }

    static void Validate(string path, IReadOnlyList<SafetensorsEntry> entries, long dataLength)
    {
        foreach (var e in entries)
        {
            if (e.Begin > e.End || e.End > dataLength)
                throw new CheckpointFormatException(path, e.Name,
                    $"data_offsets [{e.Begin}, {e.End}] lie outside the data section of {dataLength} bytes");
            long expected;
            try
            {
                expected = SafetensorsDType.ElementSize(e.DType)!.Value;
                foreach (long d in e.Shape) expected = checked(expected * d);
            }
            catch (OverflowException)
            {
                throw new CheckpointFormatException(path, e.Name, $"shape [{string.Join(", ", e.Shape)}] is too large to address");
            }
            if (expected != e.ByteLength)
                throw new CheckpointFormatException(path, e.Name,
                    $"shape [{string.Join(", ", e.Shape)}] of {e.DType} needs {expected} bytes but data_offsets span {e.ByteLength}");
        }
        SafetensorsEntry? previous = null;
        foreach (var e in entries.Where(e => e.ByteLength > 0).OrderBy(e => e.Begin))
        {
            if (previous is not null && e.Begin < previous.End)
                throw new CheckpointFormatException(path, e.Name,
                    $"data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous.Name}' [{previous.Begin}, {previous.End}]");
            previous = e;
        }
    }

    /// <summary>Serializes a header for the given entries; padded with spaces to 8 bytes as the reference writer does.</summary>
    public static byte[] Serialize(IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.DType);
                w.WriteStartArray("shape");
                foreach (long d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(e.Begin);
                w.WriteNumberValue(e.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
