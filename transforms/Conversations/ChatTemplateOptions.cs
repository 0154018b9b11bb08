namespace Vlm.Transforms.Conversations;

/// <summary>Which chat format a conversation is rendered in: the built-in <see cref="ChatTemplate"/> of the same (snake-case) name.</summary>
public enum ChatFormat
{
    /// <summary><see cref="ChatTemplate.Qwen"/>.</summary>
    Qwen,
    /// <summary><see cref="ChatTemplate.Qwen2"/>.</summary>
    Qwen2,
    /// <summary>The tokenizer's own (see <see cref="ChatTemplate.For"/>).</summary>
    Auto,
    /// <summary><see cref="ChatTemplate.VicunaV1"/> (LLaVA-1.5).</summary>
    VicunaV1,
    /// <summary><see cref="ChatTemplate.Llama3"/>.</summary>
    Llama3,
}

/// <summary>
/// How conversations become token ids and labels. Defaults match the original system: the
/// tokenizer's chat format (Qwen-7B chatml with the original's tokenizer), its Chinese system prompt,
/// CLIP ViT-L/14's 256 image features.
/// </summary>
public sealed record ChatTemplateOptions
{
    /// <summary>The original's system prompt ("You are an image understanding assistant.").</summary>
    public const string OriginalSystemPrompt = "你是一位图像理解助手。";

    /// <summary>The chat format; by default the tokenizer's (a Qwen-7B qwen.tiktoken gives the original's, a Qwen2 tokenizer.json Qwen2's).</summary>
    public ChatFormat Format { get; init; } = ChatFormat.Auto;

    /// <summary>These options with <see cref="ChatFormat.Auto"/> made the format <paramref name="tokenizer"/> is for.</summary>
    public ChatTemplateOptions For(Vlm.Datasets.Tokenizers.ITextTokenizer tokenizer) => Format != ChatFormat.Auto ? this
        : this with { Format = ChatTemplate.For(tokenizer).Format };

    /// <summary>System prompt; null or empty leaves the system turn out.</summary>
    public string? SystemPrompt { get; init; } = OriginalSystemPrompt;

    /// <summary>Image placeholder ids per image: the vision tower's feature count (CLIP-L/14 at 224: 256; SigLIP-so400m at 384: 729).</summary>
    public int ImageTokenCount { get; init; } = 256;

    /// <summary>Keep only the first question and answer (the original's LLaVA handling); off by default: every turn is kept.</summary>
    public bool FirstTurnOnly { get; init; }

    /// <summary>
    /// Encode the turns' text without special-token parsing (Hugging Face's <c>split_special_tokens</c>):
    /// a turn that contains <c>&lt;|im_start|&gt;</c> gets the characters, not the control token, so text
    /// cannot rewrite the conversation. Prediction, chat and serve always do; off by default in the ETL,
    /// where the data is the operator's.
    /// </summary>
    public bool SplitSpecialTokens { get; init; }
}
