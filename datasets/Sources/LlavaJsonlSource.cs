using Vlm.Datasets.IO;

namespace Vlm.Datasets.Sources;

/// <summary>
/// A JSONL file with one LLaVA-shaped record per line; blank lines are skipped. A record's index is
/// its zero-based line index.
/// </summary>
public static class LlavaJsonlSource
{
    public static IEnumerable<SourceItem<ConversationRecord>> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such annotation file", path);
        foreach (var (number, line) in ByteLines.Read(path))
        {
            var bytes = line.Span;
            if (number == 1 && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
            if (bytes.Trim(" \t"u8).IsEmpty) continue;
            yield return LlavaRecordParser.Parse(path, number - 1, byteOffset: null, bytes.ToArray());
        }
    }
}
