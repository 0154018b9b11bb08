using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using Vlm.Datasets.IO;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Text;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Trainers.Models;

/// <summary>Builds a <see cref="VlmModel"/> from Hugging Face folders and writes its parts back in their formats.</summary>
internal static class VlmCheckpoints
{
    public const string ProjectorFile = "projector.safetensors";

    /// <summary>
    /// The LLM from a folder of any family (<see cref="TextFamilies"/>; a Qwen-7B folder's saved rotary
    /// buffers skipped) and the tower from a CLIP or
    /// SigLIP folder (its <c>vision_model.*</c>; a full checkpoint's text tower and SigLIP's pooling
    /// head are skipped, not loaded). The projector starts from its initialisation.
    /// </summary>
    public static VlmModel Load(string llmFolder, string visionFolder, long imageTokenId, VisionFeatureOptions? features = null)
    {
        using var llm = CheckpointFolder.Open(llmFolder);
        using var vision = CheckpointFolder.Open(visionFolder);
        var towerConfig = VisionConfig.From(vision.Config);
        ExpectedTensor.CheckAll(vision, towerConfig.ExpectedTensors());
        var languageModel = CausalLanguageModel.Create(llm.Config, llm);
        var model = new VlmModel(towerConfig, languageModel, imageTokenId, features);
        if (imageTokenId >= model.LanguageModel.VocabSize)
            throw new ArgumentException($"the image token id {imageTokenId} is outside the LLM's vocabulary ({model.LanguageModel.VocabSize}); does the tokenizer belong to this model?");
        static bool Adapter(string name) => name.Contains(".lora_", StringComparison.Ordinal);
        ModuleWeights.Load(model, llm, "language_model.", key => languageModel.Family.IsBuffer(key) ? null : "language_model." + key, Adapter);
        ModuleWeights.Load(model, vision, "vision_tower.",
            key => key.StartsWith("vision_model.", StringComparison.Ordinal) && !key.StartsWith("vision_model.head.", StringComparison.Ordinal) ? "vision_tower." + key : null);
        return model;
    }

    /// <summary>Writes one part of the model as a Hugging Face folder: <c>config.json</c> and <c>model.safetensors</c>.</summary>
    public static void WriteFolder(torch.nn.Module model, string prefix, JsonObject config, string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        ModuleWeights.Save(model, Path.Combine(folder, CheckpointFolder.SingleFile), prefix, name => name[prefix.Length..],
            name => !name.Contains(".lora_", StringComparison.Ordinal), new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>The vision tower as a Hugging Face vision-model folder (<c>vision_model.*</c> keys), loadable by <see cref="Load"/>.</summary>
    public static void WriteVisionFolder(VlmModel model, string folder) =>
        WriteFolder(model.VisionTower, "", model.VisionTower.Config.ToJson(), folder);

    /// <summary>Loads a folder written by <see cref="WriteVisionFolder"/> (or any CLIP/SigLIP folder of the same size) into the tower.</summary>
    public static void LoadVisionFolder(VlmModel model, string folder)
    {
        using var vision = CheckpointFolder.Open(folder);
        ModuleWeights.Load(model.VisionTower, vision, "",
            key => key.StartsWith("vision_model.", StringComparison.Ordinal) && !key.StartsWith("vision_model.head.", StringComparison.Ordinal) ? key : null);
    }

    /// <summary>The projector's weights with Hugging Face LLaVA's key names (<c>multi_modal_projector.linear_1.weight</c>, ...).</summary>
    public static void SaveProjector(VlmModel model, string path) =>
        ModuleWeights.Save(model, path, "multi_modal_projector.", name => name);

    public static void LoadProjector(VlmModel model, string path)
    {
        using var file = SafetensorsFile.Open(path);
        ModuleWeights.Load(model, file, "multi_modal_projector.", name => name);
    }
}
