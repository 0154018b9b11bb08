namespace Vlm.Datasets.Sources;

/// <summary>
/// A LLaVA-Instruct annotation file (<c>detail_23k.json</c>, <c>complex_reasoning_77k.json</c>,
/// <c>llava_v1_5_mix665k.json</c>): a JSON array of records, streamed one record at a time.
/// A bad record becomes a reject and the file goes on; a break in the array itself (truncation,
/// garbage between records) ends the file with an <see cref="InvalidDataException"/> naming the
/// byte position, after every good record before it was yielded.
/// </summary>
public static class LlavaJsonSource
{
    /// <summary>How many records the file holds (framing only, no record is parsed): a progress total.</summary>
    public static long Count(string path) => JsonArrayReader.Read(path).LongCount();

    public static IEnumerable<SourceItem<ConversationRecord>> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such annotation file", path);
        foreach (var element in JsonArrayReader.Read(path))
            yield return LlavaRecordParser.Parse(path, element.Index, element.Offset, element.Bytes);
    }
}
