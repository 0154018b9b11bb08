using System.Text.Json;

namespace Vlm.Datasets.Sources;

/// <summary>
/// A conversation as LLaVA files write it: the <c>conversations</c> array of
/// <c>{"from": "human"|"gpt", "value": "..."}</c> turns. It is also how a conversation travels in an
/// <c>IDataView</c> text column, so any tool that reads LLaVA JSON reads that column.
/// </summary>
public static class ConversationJson
{
    static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(IReadOnlyList<Turn> turns)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var turn in turns)
            {
                writer.WriteStartObject();
                writer.WriteString("from", turn.Speaker == Speaker.Human ? "human" : "gpt");
                writer.WriteString("value", turn.Text);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The turns of a <c>conversations</c> array, or null with the reason it cannot be trained on.</summary>
    public static IReadOnlyList<Turn>? Parse(string json, int images, out string? reason)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            reason = Validate(doc.RootElement, images, out var turns);
            return reason is null ? turns : null;
        }
        catch (JsonException e)
        {
            reason = $"malformed conversations JSON: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// Parsed turns checked by the rules <see cref="Parse"/> applies (alternation, answers, image tags
    /// against the record's image count): null when they can be trained on, else the reason.
    /// </summary>
    public static string? Check(IReadOnlyList<Turn> turns, int images)
    {
        if (turns.Count == 0) return "conversations is empty";
        int tags = 0;
        for (int turn = 0; turn < turns.Count; turn++)
            if (TurnProblem(turn, turns[turn].Speaker, turns[turn].Speaker == Speaker.Human ? "human" : "gpt", turns[turn].Text, ref tags) is { } problem) return problem;
        return Ending(turns, tags, images);
    }

    /// <summary>What is wrong with turn <paramref name="turn"/> where the conversation stands, or null; counts its image tags.</summary>
    static string? TurnProblem(int turn, Speaker speaker, string from, string text, ref int tags)
    {
        var expected = turn % 2 == 0 ? Speaker.Human : Speaker.Assistant;
        if (speaker != expected) return $"turns do not alternate human, gpt: turn {turn} is from '{from}'";
        if (speaker == Speaker.Assistant && string.IsNullOrWhiteSpace(text)) return $"empty answer: turn {turn}";
        if (speaker == Speaker.Assistant && text.Contains(ConversationRecord.ImageTag, StringComparison.Ordinal)) return $"an answer holds {ConversationRecord.ImageTag}: turn {turn}";
        tags += Count(text, ConversationRecord.ImageTag);
        return null;
    }

    static string? Ending(IReadOnlyList<Turn> turns, int tags, int images)
    {
        if (turns[^1].Speaker != Speaker.Assistant) return "the last turn is not an answer";
        if (tags > images) return $"more {ConversationRecord.ImageTag} tags than images: {tags} tags, {images} image{(images == 1 ? "" : "s")}";
        return null;
    }

    /// <summary>Checks roles, alternation, answers and image tags against the record's image count.</summary>
    internal static string? Validate(JsonElement conversations, int images, out List<Turn> turns)
    {
        turns = [];
        if (conversations.ValueKind != JsonValueKind.Array) return "missing conversations";
        if (conversations.GetArrayLength() == 0) return "conversations is empty";

        int tags = 0, turn = 0;
        foreach (var entry in conversations.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("from", out var from) || from.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
                return $"turn without string from and value: turn {turn}";
            var speaker = from.GetString() switch
            {
                "human" or "user" => Speaker.Human,
                "gpt" or "assistant" => Speaker.Assistant,
                _ => (Speaker?)null,
            };
            if (speaker is null) return $"unknown role: turn {turn} is from '{from.GetString()}'";
            string text = value.GetString()!;
            if (TurnProblem(turn, speaker.Value, from.GetString()!, text, ref tags) is { } problem) return problem;
            turns.Add(new Turn(speaker.Value, text));
            turn++;
        }
        return Ending(turns, tags, images);
    }

    static int Count(string text, string tag)
    {
        int count = 0;
        for (int at = text.IndexOf(tag, StringComparison.Ordinal); at >= 0; at = text.IndexOf(tag, at + tag.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
