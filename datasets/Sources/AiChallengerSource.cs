using System.Text.Json;

namespace Vlm.Datasets.Sources;

/// <summary>
/// AI Challenger 2017 image captions: a JSON array of
/// <c>{"url", "image_id": "8f00...f6.jpg", "caption": ["...", ...]}</c> (five Chinese captions per
/// image), streamed one record at a time. Blank captions are dropped; a record with none is rejected.
/// </summary>
public static class AiChallengerSource
{
    /// <summary>How many records the file holds (framing only, no record is parsed): a progress total.</summary>
    public static long Count(string path) => JsonArrayReader.Read(path).LongCount();

    public static IEnumerable<SourceItem<CaptionRecord>> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such annotation file", path);
        foreach (var element in JsonArrayReader.Read(path))
            yield return Parse(path, element);
    }

    static SourceItem<CaptionRecord> Parse(string file, JsonArrayReader.Element element)
    {
        long index = element.Index;
        using var doc = JsonRecord.TryParse(element.Bytes, element.Offset, out string? broken);
        if (doc is null) return SourceItem.Rejected<CaptionRecord>(file, index, null, broken!);
        var root = doc.RootElement;
        string? image = JsonRecord.Text(root, "image_id");
        if (string.IsNullOrWhiteSpace(image)) return SourceItem.Rejected<CaptionRecord>(file, index, null, "missing image_id");
        if (!root.TryGetProperty("caption", out var captions) || captions.ValueKind != JsonValueKind.Array)
            return SourceItem.Rejected<CaptionRecord>(file, index, image, "missing caption array");
        var kept = new List<string>();
        foreach (var caption in captions.EnumerateArray())
        {
            if (caption.ValueKind != JsonValueKind.String) return SourceItem.Rejected<CaptionRecord>(file, index, image, "a caption is not a string");
            string text = caption.GetString()!.Trim();
            if (text.Length > 0) kept.Add(text);
        }
        return kept.Count == 0
            ? SourceItem.Rejected<CaptionRecord>(file, index, image, "no non-empty caption")
            : SourceItem.Accepted(file, index, new CaptionRecord(image, image, kept));
    }
}
