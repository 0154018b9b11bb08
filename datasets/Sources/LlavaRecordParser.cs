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
        if (!root.TryGetProperty("conversations", out var conversations) || conversations.ValueKind != JsonValueKind.Array)
            return "missing conversations";
        if (conversations.GetArrayLength() == 0) return "conversations is empty";

        int tags = 0, turn = 0;
        foreach (var entry in conversations.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("from", out var from) || from.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
                return $"turn {turn} needs string \"from\" and \"value\"";
            var speaker = from.GetString() switch
            {
                "human" or "user" => Speaker.Human,
                "gpt" or "assistant" => Speaker.Assistant,
                var other => (Speaker?)null,
            };
            if (speaker is null) return $"turn {turn} has unknown role '{from.GetString()}'";
            var expected = turn % 2 == 0 ? Speaker.Human : Speaker.Assistant;
            if (speaker != expected) return $"turn {turn} is from '{from.GetString()}' but turns must alternate human, gpt";
            string text = value.GetString()!;
            if (speaker == Speaker.Assistant && string.IsNullOrWhiteSpace(text)) return $"turn {turn} has an empty answer";
            if (speaker == Speaker.Assistant && text.Contains(ConversationRecord.ImageTag, StringComparison.Ordinal)) return $"turn {turn}: an answer holds {ConversationRecord.ImageTag}";
            tags += Count(text, ConversationRecord.ImageTag);
            turns.Add(new Turn(speaker.Value, text));
            turn++;
        }
        if (turns[^1].Speaker != Speaker.Assistant) return "the last turn is not an answer";
        int images = image is null ? 0 : 1;
        if (tags > images) return $"{tags} {ConversationRecord.ImageTag} tags but {images} image{(images == 1 ? "" : "s")}";
        return null;
    }

    static int Count(string text, string tag)
    {
        int count = 0;
        for (int at = text.IndexOf(tag, StringComparison.Ordinal); at >= 0; at = text.IndexOf(tag, at + tag.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
