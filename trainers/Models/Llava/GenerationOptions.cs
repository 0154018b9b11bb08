namespace Vlm.Trainers.Models.Llava;

/// <summary>How answers are generated. Temperature 0 is greedy decoding.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 256;
    public double Temperature { get; init; }
    /// <summary>Sample only among the k most likely tokens; 0 = all.</summary>
    public int TopK { get; init; }
    /// <summary>Sample only among the most likely tokens whose probabilities sum to p; 1 = all.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Hugging Face's repetition penalty: logits of tokens already present are divided (positive) or multiplied (negative) by it; 1 = off.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>Generation ends for a sequence at any of these ids (e.g. &lt;|im_end|&gt;, &lt;|endoftext|&gt;); the stop id is not returned.</summary>
    public IReadOnlyList<long> StopTokenIds { get; init; } = [];
    public long Seed { get; init; } = 42;
    /// <summary>Feed the whole sequence each step instead of using the key/value cache (slow; for checking the cache).</summary>
    public bool DisableCache { get; init; }
}
