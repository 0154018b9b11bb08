namespace Vlm.Trainers.Models.Lora;

/// <summary>LoRA settings; defaults are the original's (r 128, alpha 32, dropout 0.1, <c>c_attn|w1|w2</c>).</summary>
internal sealed record LoraOptions
{
    public int Rank { get; init; } = 128;
    public double Alpha { get; init; } = 32;
    public double Dropout { get; init; } = 0.1;

    /// <summary>
    /// Module names, '|'-separated, each matching a module whose name ends with it (peft's list
    /// form), or, when it holds regex characters, one regular expression that must match a module's
    /// whole name (peft's string form). Qwen-7B: <c>c_attn|w1|w2</c>; Qwen2:
    /// <c>q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj</c>.
    /// </summary>
    public string TargetModules { get; init; } = "c_attn|w1|w2";

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsRegex => TargetModules.IndexOfAny(['.', '*', '+', '?', '[', ']', '(', ')', '^', '$', '\\']) >= 0;

    public bool Matches(string moduleName)
    {
        if (IsRegex) return System.Text.RegularExpressions.Regex.IsMatch(moduleName, $"^(?:{TargetModules})$");
        return TargetModules.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(t => moduleName == t || moduleName.EndsWith("." + t, StringComparison.Ordinal));
    }
}
