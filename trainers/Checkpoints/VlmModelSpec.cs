using Vlm.Trainers.Training;
using Vlm.Transforms.Conversations;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// What a trained model is made of besides its trained weights (<c>vlm.json</c> in its folder):
/// the base model folders it was trained from, the chat template its data was tokenized with, how
/// image features are taken, and which parts trained (so the folder says which weights it holds).
/// </summary>
internal sealed record VlmModelSpec
{
    /// <summary>The base Qwen2 folder (config, weights, tokenizer).</summary>
    public required string Llm { get; init; }
    /// <summary>The base CLIP or SigLIP folder (config, weights, preprocessor config).</summary>
    public required string Vision { get; init; }
    /// <summary>The tokenizer folder; the LLM folder unless told otherwise.</summary>
    public required string Tokenizer { get; init; }
    public ChatFormat Format { get; init; } = ChatFormat.Qwen;
    public string? SystemPrompt { get; init; } = ChatTemplateOptions.OriginalSystemPrompt;
    public int ImageTokenCount { get; init; } = 256;
    public int VisionFeatureLayer { get; init; } = -2;
    public bool? DropFirstToken { get; init; }
    public TrainableParts Train { get; init; } = TrainableParts.ProjectorAndLora;
    public bool TrainVisionTower { get; init; }
    /// <summary>The tower's LoRA settings when it trained adapters (its <c>vision_adapter/</c> folder), else null.</summary>
    public Models.Lora.LoraOptions? VisionLora { get; init; }

    /// <summary>Which weights the model's folder holds.</summary>
    public TrainedParts Parts => new(Train, TrainVisionTower, VisionLora);

    public ChatTemplateOptions Template => new() { Format = Format, SystemPrompt = SystemPrompt, ImageTokenCount = ImageTokenCount };
}
