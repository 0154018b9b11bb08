using System.Security.Cryptography;
using System.Text;
using Vlm.Datasets.Sources;

namespace Vlm.Transforms.Conversations;

/// <summary>
/// Turns a captioned image into a one-question conversation as the original does for AI
/// Challenger: one caption picked at random, one of the fixed prompts, the image tag before or after
/// the prompt at random. The choices are seeded per record (seed and record id), not by position,
/// so that any split of the data into shards or processes makes the same choices.
/// </summary>
public sealed record CaptionPolicy
{
    /// <summary>The original's two prompts: "What does this image describe?" and "What is in this image?".</summary>
    public static readonly IReadOnlyList<string> AiChallengerPrompts = ["这幅图像描述了什么？", "这幅图像中有什么？"];

    public static readonly IReadOnlyList<string> EnglishPrompts = ["Describe the image briefly.", "What is in this image?"];

    public IReadOnlyList<string> Prompts { get; init; } = AiChallengerPrompts;
    public int Seed { get; init; } = 42;

    public ConversationRecord ToConversation(CaptionRecord record)
    {
        if (Prompts.Count == 0) throw new InvalidOperationException("a caption policy needs at least one prompt");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{Seed}\u0000{record.Id}"), hash);
        uint draw = BitConverter.ToUInt32(hash);
        string caption = record.Captions[(int)(draw % (uint)record.Captions.Count)];
        string prompt = Prompts[(int)(BitConverter.ToUInt32(hash[4..]) % (uint)Prompts.Count)];
        bool imageFirst = (hash[8] & 1) == 0;
        string question = imageFirst ? ConversationRecord.ImageTag + prompt : prompt + ConversationRecord.ImageTag;
        return new ConversationRecord(record.Id, record.Image, [new Turn(Speaker.Human, question), new Turn(Speaker.Assistant, caption)]);
    }
}
