using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Training;

namespace Vlm.Trainers.Checkpoints;

/// <summary>Which parts of a model trained, so which weights its folders hold (<paramref name="VisionLora"/>: the tower's adapters' settings, or null).</summary>
internal readonly record struct TrainedParts(TrainableParts Train, bool VisionTower, LoraOptions? VisionLora = null);

/// <summary>
/// What trained, as a trained model and a checkpoint both hold it: <c>projector.safetensors</c>
/// (Hugging Face LLaVA's key names), the LoRA adapter in peft's format (<c>adapter_config.json</c> +
/// <c>adapter_model.safetensors</c>) or <c>language_model/</c> (a Hugging Face folder) when the whole
/// LLM trained, <c>vision_tower/</c> (a Hugging Face vision-model folder) when the tower trained, and
/// <c>vision_adapter/</c> (a second peft folder, names those of Hugging Face's vision model) when the tower trained LoRA adapters.
/// </summary>
internal static partial class VlmModelFolder
{
    public const string ProjectorFile = "projector.safetensors", LlmFolder = "language_model", VisionFolder = "vision_tower", VisionAdapterFolder = "vision_adapter";

    /// <param name="baseModel">the base LLM folder a LoRA adapter names (peft's <c>base_model_name_or_path</c>), or null</param>
    static void WriteParts(VlmModel model, string folder, TrainedParts parts, LoraOptions? lora, string? baseModel)
    {
        WriteProjector(model, Path.Combine(folder, ProjectorFile));
        if (parts.Train == TrainableParts.ProjectorAndLora)
            WriteAdapter(model.LanguageModel, folder, lora ?? throw new ArgumentNullException(nameof(lora), "a LoRA-trained model needs its LoRA settings"), baseModel);
        if (parts.Train == TrainableParts.Full)
            WriteHfFolder(model.LanguageModel, "", model.LanguageModel.ConfigJson(), Path.Combine(folder, LlmFolder));
        if (parts.VisionTower) WriteVisionFolder(model, Path.Combine(folder, VisionFolder));
        if (parts.VisionLora is { } visionLora) WriteAdapter(model.VisionTower, Path.Combine(folder, VisionAdapterFolder), visionLora, baseModel: null, VisionAdapterTask);
    }

    /// <summary>The LLM folder to build a model from: the folder's own when the whole LLM trained, else its base.</summary>
    static string LlmSource(string folder, TrainedParts parts, string baseLlm) =>
        parts.Train == TrainableParts.Full ? Path.Combine(folder, LlmFolder) : baseLlm;

    static string VisionSource(string folder, TrainedParts parts, string baseVision) =>
        parts.VisionTower ? Path.Combine(folder, VisionFolder) : baseVision;

    /// <summary>The projector's weights and, for LoRA, the adapters' (added to the LLM and tower first when <paramref name="addAdapters"/>).</summary>
    static void LoadProjectorAndAdapter(VlmModel model, string folder, TrainedParts parts, bool addAdapters)
    {
        ReadProjector(model, Path.Combine(folder, ProjectorFile));
        if (parts.Train != TrainableParts.ProjectorAndLora) return;
        var adapters = new List<(TorchSharp.torch.nn.Module Module, string Folder)> { (model.LanguageModel, folder) };
        if (parts.VisionLora is not null) adapters.Add((model.VisionTower, Path.Combine(folder, VisionAdapterFolder)));
        foreach (var (module, from) in adapters)
            if (addAdapters) ReadAdapter(module, from);
            else ReadAdapterWeights(module, from);
    }

    /// <summary>Every trained part's weights into a model that already has its shape (adapters included): what a resume needs.</summary>
    static void LoadParts(VlmModel model, string folder, TrainedParts parts)
    {
        LoadProjectorAndAdapter(model, folder, parts, addAdapters: false);
        if (parts.Train == TrainableParts.Full)
        {
            using var llm = CheckpointFolder.Open(Path.Combine(folder, LlmFolder));
            ModuleWeights.Load(model.LanguageModel, llm, "", name => name);
        }
        if (parts.VisionTower) ReadVisionFolder(model, Path.Combine(folder, VisionFolder));
    }
}
