using System.Text.Json;

namespace Vlm.Datasets.Sources;

/// <summary>
/// COCO captions (<c>annotations/captions_train2017.json</c>): one record per caption annotation,
/// its image resolved through the file's "images" list. Two streaming passes: the first keeps only
/// the image id to file name map (118k entries for train2017), the second streams "annotations".
/// </summary>
public static class CocoCaptionsSource
{
    /// <summary>How many captions the file holds (framing only, no record is parsed): a progress total.</summary>
    public static long Count(string path) => JsonArrayReader.ReadProperty(path, "annotations").LongCount();

    public static IEnumerable<SourceItem<CaptionRecord>> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such annotation file", path);
        var images = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var element in JsonArrayReader.ReadProperty(path, "images"))
        {
            using var doc = JsonRecord.TryParse(element.Bytes, element.Offset, out _);
            if (doc is null) continue; // an unusable image entry surfaces as its captions' reject
            string? id = JsonRecord.Text(doc.RootElement, "id");
            string? fileName = JsonRecord.Text(doc.RootElement, "file_name");
            if (id is not null && !string.IsNullOrWhiteSpace(fileName)) images[id] = fileName;
        }
        foreach (var element in JsonArrayReader.ReadProperty(path, "annotations"))
            yield return Parse(path, element, images);
    }

    static SourceItem<CaptionRecord> Parse(string file, JsonArrayReader.Element element, Dictionary<string, string> images)
    {
        long index = element.Index;
        using var doc = JsonRecord.TryParse(element.Bytes, element.Offset, out string? broken);
        if (doc is null) return SourceItem.Rejected<CaptionRecord>(file, index, null, broken!);
        var root = doc.RootElement;
        string? id = JsonRecord.Text(root, "id");
        if (string.IsNullOrEmpty(id)) return SourceItem.Rejected<CaptionRecord>(file, index, null, "missing id");
        string? imageId = JsonRecord.Text(root, "image_id");
        if (imageId is null) return SourceItem.Rejected<CaptionRecord>(file, index, id, "missing image_id");
        if (!images.TryGetValue(imageId, out var image))
            return SourceItem.Rejected<CaptionRecord>(file, index, id, $"image_id not in \"images\": {imageId}");
        string? caption = root.TryGetProperty("caption", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()!.Trim() : null;
        return string.IsNullOrEmpty(caption)
            ? SourceItem.Rejected<CaptionRecord>(file, index, id, "empty caption")
            : SourceItem.Accepted(file, index, new CaptionRecord(id, image, [caption]));
    }
}
