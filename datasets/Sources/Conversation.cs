namespace Vlm.Datasets.Sources;

/// <summary>Who speaks a turn. LLaVA files say "human" and "gpt".</summary>
public enum Speaker { Human, Assistant }

/// <summary>One turn of a conversation; <see cref="Text"/> keeps the file's <c>&lt;image&gt;</c> tags as they are.</summary>
public sealed record Turn(Speaker Speaker, string Text);

/// <summary>
/// One training record as a source file gives it: an id, the image file it refers to (null for
/// text-only records) and every turn, in order.
/// </summary>
public sealed record ConversationRecord(string Id, string? Image, IReadOnlyList<Turn> Turns);

/// <summary>
/// What a source yields per record: the record, or the reason it was rejected. Either way it names
/// the file and the record's zero-based index there, so a reject can be found again.
/// </summary>
public sealed record SourceItem(string File, long Index, string? Id, ConversationRecord? Record, string? RejectReason)
{
    public bool IsRejected => RejectReason is not null;

    public static SourceItem Accepted(string file, long index, ConversationRecord record) => new(file, index, record.Id, record, null);

    public static SourceItem Rejected(string file, long index, string? id, string reason) => new(file, index, id, null, reason);
}
