namespace Vlm.Datasets.Sources;

/// <summary>Who speaks a turn. LLaVA files say "human" and "gpt".</summary>
public enum Speaker { Human, Assistant }

/// <summary>One turn of a conversation; <see cref="Text"/> keeps the file's <c>&lt;image&gt;</c> tags as they are.</summary>
public sealed record Turn(Speaker Speaker, string Text);

/// <summary>
/// One training record as a source file gives it: an id, the image file it refers to (null for
/// text-only records) and every turn, in order.
/// </summary>
public sealed record ConversationRecord(string Id, string? Image, IReadOnlyList<Turn> Turns)
{
    /// <summary>Where the image goes in a turn's text, as LLaVA files mark it.</summary>
    public const string ImageTag = "<image>";

    /// <summary>
    /// The one rule for where an untagged image goes, for training data and questions alike: a
    /// record with an image but no <c>&lt;image&gt;</c> tag gets the tag and a newline before its first
    /// turn, where LLaVA puts it. A tag without an image is an error.
    /// </summary>
    public ConversationRecord WithImageTag()
    {
        bool tagged = Turns.Any(t => t.Text.Contains(ImageTag, StringComparison.Ordinal));
        if (tagged && Image is null) throw new ArgumentException($"the conversation has an {ImageTag} tag but no image");
        if (Image is null || tagged || Turns.Count == 0) return this;
        return this with { Turns = [Turns[0] with { Text = ImageTag + "\n" + Turns[0].Text }, .. Turns.Skip(1)] };
    }
}

/// <summary>
/// One image with its captions (AI Challenger's five Chinese captions, or one COCO caption): the
/// prompt around them is chosen later, by the conversation templating policy.
/// </summary>
public sealed record CaptionRecord(string Id, string Image, IReadOnlyList<string> Captions);

/// <summary>
/// What a source yields per record: the record, or the reason it was rejected. Either way it names
/// the file and the record's zero-based index there (for JSONL files, the line index), so a reject
/// can be found again.
/// </summary>
public sealed record SourceItem<TRecord>(string File, long Index, string? Id, TRecord? Record, string? RejectReason)
    where TRecord : class
{
    public bool IsRejected => RejectReason is not null;
}

/// <summary>Constructors for <see cref="SourceItem{TRecord}"/>.</summary>
public static class SourceItem
{
    public static SourceItem<ConversationRecord> Accepted(string file, long index, ConversationRecord record) => new(file, index, record.Id, record, null);

    public static SourceItem<CaptionRecord> Accepted(string file, long index, CaptionRecord record) => new(file, index, record.Id, record, null);

    public static SourceItem<TRecord> Rejected<TRecord>(string file, long index, string? id, string reason) where TRecord : class =>
        new(file, index, id, null, reason);
}
