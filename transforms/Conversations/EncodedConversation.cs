namespace Vlm.Transforms.Conversations;

/// <summary>
/// A conversation ready for training: <see cref="InputIds"/> and <see cref="Labels"/> of equal length,
/// labels equal to the ids on assistant answers and their end token and <see cref="IgnoreIndex"/>
/// everywhere else; <see cref="Text"/> is the rendered conversation with each image shown once as
/// its placeholder string.
/// </summary>
public sealed record EncodedConversation(string Text, int[] InputIds, int[] Labels, int ImageCount, int NumImageTokens)
{
    /// <summary>The label of positions that carry no loss (PyTorch's cross-entropy ignore_index).</summary>
    public const int IgnoreIndex = -100;
}
