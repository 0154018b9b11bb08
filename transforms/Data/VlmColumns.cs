namespace Vlm.Transforms.Data;

/// <summary>
/// Column names shared by the conversation data views, the ETL transforms and the shards. The shard
/// columns follow Hugging Face's conventions so that other tools read the Parquet files as they are.
/// </summary>
public static class VlmColumns
{
    public const string Id = "id", Source = "source", Image = "image", ImageSha256 = "image_sha256",
        InputIds = "input_ids", Labels = "labels", NumImageTokens = "num_image_tokens", Text = "text";

    /// <summary>The LLaVA <c>conversations</c> JSON array of a record (see <c>ConversationJson</c>).</summary>
    public const string Conversations = "conversations";

    /// <summary>The same conversation's turns, parsed (<see cref="TurnsDataViewType"/>): what the tokenizer reads when a view has it.</summary>
    public const string Turns = "turns";

    /// <summary>Where a record came from: its annotation file and zero-based index there.</summary>
    public const string File = "file", RecordIndex = "record_index";

    /// <summary>Empty for a good record; else why it cannot be trained on. Each ETL transform leaves a rejected record alone.</summary>
    public const string RejectReason = "reject_reason";

    /// <summary>True where the length policy cut a conversation to <c>max_length</c>.</summary>
    public const string Truncated = "truncated";
}
