namespace Vlm.Datasets.Sources;

/// <summary>A JSONL file with one LLaVA-shaped record per line; blank lines are skipped.</summary>
public static class LlavaJsonlSource
{
    public static IEnumerable<SourceItem<ConversationRecord>> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such annotation file", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var line = new MemoryStream();
        long index = 0;
        int b;
        do
        {
            b = stream.ReadByte();
            if (b >= 0 && b != '\n')
            {
                line.WriteByte((byte)b);
                continue;
            }
            var bytes = line.GetBuffer().AsMemory(0, (int)line.Length);
            if (!bytes.Span.Trim("\r\t \uFEFF"u8).IsEmpty)
                yield return LlavaRecordParser.Parse(path, index, bytes.ToArray());
            index++;
            line.SetLength(0);
        }
        while (b >= 0);
    }
}
