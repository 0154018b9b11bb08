using System.Text.Json;

namespace Vlm.Datasets.Sources;

/// <summary>Parses one record's bytes, turning every way it can be broken into a reject reason.</summary>
internal static class JsonRecord
{
    /// <summary>
    /// The parsed record, or null with <paramref name="reason"/> set; <paramref name="byteOffset"/>,
    /// the record's position in its file where known, goes into the reason for malformed JSON.
    /// </summary>
    public static JsonDocument? TryParse(ReadOnlyMemory<byte> json, long? byteOffset, out string? reason)
    {
        // JsonDocument checks UTF-8 only when a string is read, and then throws: check it first.
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
        {
            reason = "invalid UTF-8";
            return null;
        }
        try
        {
            var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                reason = null;
                return doc;
            }
            doc.Dispose();
            reason = "record is not a JSON object";
        }
        catch (JsonException e)
        {
            reason = byteOffset is { } at
                ? $"malformed JSON: in the record at byte {at} ({e.Message})"
                : $"malformed JSON: {e.Message}";
        }
        return null;
    }

    /// <summary>A string or number property as text (ids are strings in some files, numbers in others).</summary>
    public static string? Text(JsonElement record, string property) =>
        record.TryGetProperty(property, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;
}
