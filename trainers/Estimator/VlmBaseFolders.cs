namespace Vlm.Trainers.Estimator;

/// <summary>
/// Where a trained model's base folders are now, when they are not where its <c>vlm.json</c> says
/// (moved, or on another machine). Each left null keeps the recorded place; a new LLM folder also
/// becomes the tokenizer folder when the model's tokenizer was its LLM folder's.
/// </summary>
public sealed record VlmBaseFolders
{
    public string? Llm { get; init; }
    public string? Vision { get; init; }
    public string? Tokenizer { get; init; }
}
