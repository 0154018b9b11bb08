using Vlm.Datasets.IO;

namespace Vlm.Datasets.Sources;

/// <summary>
/// A JSONL file with one LLaVA-shaped record per line; blank lines are skipped. A record's index is
/// its zero-based line index.
/// </summary>
public static class LlavaJsonlSource
{
    /// <summary>How many records (non-blank lines) the file holds: a progress total.</summary>
    public static long Count(string path) => ByteLines.Read(path).LongCount(l => !IsBlank(l.Number, l.Bytes.Span));

    public static IEnumerable<SourceItem<ConversationRecord>> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such annotation file", path);
        foreach (var (number, line) in ByteLines.Read(path))
        {
            if (IsBlank(number, line.Span)) continue;
            var bytes = number == 1 && line.Span.StartsWith("\uFEFF"u8) ? line.Span[3..] : line.Span;
            yield return LlavaRecordParser.Parse(path, number - 1, byteOffset: null, bytes.ToArray());
        }
    }

    static bool IsBlank(int number, ReadOnlySpan<byte> line)
    {
        if (number == 1 && line.StartsWith("\uFEFF"u8)) line = line[3..];
        return line.Trim(" \t"u8).IsEmpty;
    }
}
