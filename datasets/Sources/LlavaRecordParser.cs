using System.Text.Json;

namespace Vlm.Datasets.Sources;

/// <summary>
/// Turns one LLaVA-Instruct record (<c>{"id", "image"?, "conversations": [{"from", "value"}]}</c>)
/// into a <see cref="ConversationRecord"/>, or into a reject with its reason. Every turn is kept.
/// </summary>
internal static class LlavaRecordParser
{
    public static SourceItem<ConversationRecord> Parse(string file, long index, long? byteOffset, ReadOnlyMemory<byte> json)
    {
        using var doc = JsonRecord.TryParse(json, byteOffset, out string? broken);
        if (doc is null) return SourceItem.Rejected<ConversationRecord>(file, index, null, broken!);
        var root = doc.RootElement;
        string? id = JsonRecord.Text(root, "id");
        if (string.IsNullOrEmpty(id)) return SourceItem.Rejected<ConversationRecord>(file, index, null, "missing id");
        string? reason = Validate(root, out string? image, out var turns);
        return reason is null
            ? SourceItem.Accepted(file, index, new ConversationRecord(id, image, turns))
            : SourceItem.Rejected<ConversationRecord>(file, index, id, reason);
    }

    static string? Validate(JsonElement root, out string? image, out List<Turn> turns)
    {
        image = null;
        turns = [];
        if (root.TryGetProperty("image", out var imageValue) && imageValue.ValueKind != JsonValueKind.Null)
        {
            if (imageValue.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(imageValue.GetString()))
                return "image must be a non-empty string";
            image = imageValue.GetString();
        }
        if (!root.TryGetProperty("conversations", out var conversations)) return "missing conversations";
        return ConversationJson.Validate(conversations, image is null ? 0 : 1, out turns);
    }
}
