namespace Vlm.Transforms.Conversations;

/// <summary>
/// A chat format as data: the text around each turn, what is trained, how an image is written and
/// which tokens end an answer. <see cref="ConversationEncoder"/> and <see cref="ChatTemplateJinja"/>
/// read it; neither knows any format by name. A conversation renders as
/// <c>Begin + SystemPrefix + system + SystemSuffix + (UserPrefix + question + UserSuffix +
/// AssistantPrefix + [AnswerPrefix + answer + AnswerEnd] + AnswerSeparator)...</c>, the bracketed part trained.
/// </summary>
public sealed record ChatTemplate
{
    /// <summary>The format's name (what <c>--template</c> and a model's <c>vlm.json</c> say).</summary>
    public required string Name { get; init; }

    /// <summary>The <see cref="ChatFormat"/> of the same name, for a built-in template.</summary>
    public ChatFormat Format => Enum.GetValues<ChatFormat>().First(f => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(f.ToString()) == Name);

    /// <summary>Untrained text once at the start (a BOS token for the Llama formats).</summary>
    public string Begin { get; init; } = "";

    public required string SystemPrefix { get; init; }
    public required string SystemSuffix { get; init; }
    public required string UserPrefix { get; init; }
    public required string UserSuffix { get; init; }

    /// <summary>Untrained text before each answer: also the generation prompt.</summary>
    public required string AssistantPrefix { get; init; }

    /// <summary>Trained text before each answer (Vicuna's space after "ASSISTANT:").</summary>
    public string AnswerPrefix { get; init; } = "";

    /// <summary>The special token that ends every answer, trained.</summary>
    public required string AnswerEnd { get; init; }

    /// <summary>The token that ends the last answer instead, when the format has one (Qwen-7B's <c>&lt;|endoftext|&gt;</c>).</summary>
    public string? FinalAnswerEnd { get; init; }

    /// <summary>Untrained text after an answer's end token (chatml's newline).</summary>
    public string AnswerSeparator { get; init; } = "";

    /// <summary>Whether <see cref="AnswerSeparator"/> also follows the last answer.</summary>
    public bool SeparatorAfterFinalAnswer { get; init; } = true;

    /// <summary>The special token image features replace (one per feature in the ids).</summary>
    public required string ImageToken { get; init; }

    /// <summary>How an image is written, <c>{image}</c> standing for its image tokens.</summary>
    public string ImageText { get; init; } = ImagePlaceholder;

    /// <summary>Tokens that end generation.</summary>
    public required IReadOnlyList<string> StopTokens { get; init; }

    /// <summary>
    /// A special token that the tokenizers this format is made for hold: <see cref="For"/> picks the first
    /// built-in format whose mark a tokenizer has (a template more specific than another comes first).
    /// </summary>
    public string? TokenizerMark { get; init; }

    public const string ImagePlaceholder = "{image}";

    /// <summary>Qwen-7B-Chat: chatml, image token <c>&lt;|extra_0|&gt;</c>, the final answer ended by <c>&lt;|endoftext|&gt;</c> as the original trains it.</summary>
    public static readonly ChatTemplate Qwen = new()
    {
        Name = "qwen",
        SystemPrefix = "<|im_start|>system\n", SystemSuffix = "<|im_end|>\n",
        UserPrefix = "<|im_start|>user\n", UserSuffix = "<|im_end|>\n",
        AssistantPrefix = "<|im_start|>assistant\n",
        AnswerEnd = "<|im_end|>", FinalAnswerEnd = "<|endoftext|>", AnswerSeparator = "\n", SeparatorAfterFinalAnswer = false,
        ImageToken = "<|extra_0|>",
        StopTokens = ["<|im_end|>", "<|endoftext|>"],
        TokenizerMark = "<|im_start|>",
    };

    /// <summary>The Qwen2 family: chatml, <c>&lt;|vision_start|&gt;&lt;|image_pad|&gt;…&lt;|vision_end|&gt;</c>, every answer ended by <c>&lt;|im_end|&gt;</c>.</summary>
    public static readonly ChatTemplate Qwen2 = Qwen with
    {
        Name = "qwen2",
        FinalAnswerEnd = null, SeparatorAfterFinalAnswer = true,
        ImageToken = "<|image_pad|>", ImageText = "<|vision_start|>{image}<|vision_end|>",
        TokenizerMark = "<|image_pad|>",
    };

    /// <summary>LLaVA-1.5's <c>vicuna_v1</c>: <c>&lt;s&gt;SYSTEM USER: question ASSISTANT: answer&lt;/s&gt;USER: ...</c>, image token <c>&lt;image&gt;</c>.</summary>
    public static readonly ChatTemplate VicunaV1 = new()
    {
        Name = "vicuna_v1",
        Begin = "<s>",
        SystemPrefix = "", SystemSuffix = " ",
        UserPrefix = "USER: ", UserSuffix = " ",
        AssistantPrefix = "ASSISTANT:", AnswerPrefix = " ",
        AnswerEnd = "</s>",
        ImageToken = "<image>",
        StopTokens = ["</s>"],
        TokenizerMark = "</s>",
    };

    /// <summary>LLaVA-1.5's system prompt for <see cref="VicunaV1"/>.</summary>
    public const string VicunaV1SystemPrompt = "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions.";

    /// <summary>Llama 3's chat format: header tokens per role, every turn ended by <c>&lt;|eot_id|&gt;</c>, image token <c>&lt;image&gt;</c>.</summary>
    public static readonly ChatTemplate Llama3 = new()
    {
        Name = "llama3",
        Begin = "<|begin_of_text|>",
        SystemPrefix = "<|start_header_id|>system<|end_header_id|>\n\n", SystemSuffix = "<|eot_id|>",
        UserPrefix = "<|start_header_id|>user<|end_header_id|>\n\n", UserSuffix = "<|eot_id|>",
        AssistantPrefix = "<|start_header_id|>assistant<|end_header_id|>\n\n",
        AnswerEnd = "<|eot_id|>",
        ImageToken = "<image>",
        StopTokens = ["<|eot_id|>", "<|end_of_text|>"],
        TokenizerMark = "<|eot_id|>",
    };

    /// <summary>The built-in formats, in the order <see cref="For"/> tries their marks (Qwen2's tokenizer also holds chatml's, Llama 3's no <c>&lt;/s&gt;</c>).</summary>
    public static IReadOnlyList<ChatTemplate> BuiltIn { get; } = [Qwen2, Qwen, Llama3, VicunaV1];

    /// <summary>The built-in format <paramref name="name"/>; an unknown name is an error listing them.</summary>
    public static ChatTemplate Named(string name) => BuiltIn.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"chat template '{name}' is not one of {string.Join(", ", BuiltIn.Select(t => t.Name))}");

    /// <summary>The built-in template <paramref name="format"/> names (resolve <see cref="ChatFormat.Auto"/> against a tokenizer with <see cref="For"/> first).</summary>
    public static ChatTemplate Of(ChatFormat format) => format == ChatFormat.Auto
        ? throw new InvalidOperationException("the chat format is Auto: resolve it against a tokenizer first (ChatTemplateOptions.For)")
        : Named(System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(format.ToString()));

    /// <summary>The format a tokenizer is made for: by its special tokens (each family's tokenizer has its own).</summary>
    public static ChatTemplate For(Vlm.Datasets.Tokenizers.ITextTokenizer tokenizer) =>
        BuiltIn.FirstOrDefault(t => t.TokenizerMark is { } mark && tokenizer.SpecialTokenId(mark) is not null)
        ?? throw new ArgumentException($"the tokenizer has none of the special tokens of a known chat format ({string.Join(", ", BuiltIn.Select(t => t.TokenizerMark).OfType<string>())}); name the template");
}
