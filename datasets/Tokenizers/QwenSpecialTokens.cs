namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// Qwen-7B's special tokens, which its qwen.tiktoken does not list: they follow the ordinary ranks
/// in this order (151643.. for the real file), as the model's own tokenizer code numbers them.
/// </summary>
public static class QwenSpecialTokens
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";
    public const int ExtraCount = 205;

    /// <summary><c>&lt;|extra_N|&gt;</c>: the original system uses <c>&lt;|extra_0|&gt;</c> as its image token.</summary>
    public static string Extra(int n) => $"<|extra_{n}|>";

    public static Dictionary<string, int> ForQwen7B(int ordinaryCount)
    {
        var tokens = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            [EndOfText] = ordinaryCount,
            [ImStart] = ordinaryCount + 1,
            [ImEnd] = ordinaryCount + 2,
        };
        for (int i = 0; i < ExtraCount; i++) tokens[Extra(i)] = ordinaryCount + 3 + i;
        return tokens;
    }
}
