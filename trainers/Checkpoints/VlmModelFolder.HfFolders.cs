using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using Vlm.Datasets.IO;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Text;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Trainers.Checkpoints;

/// <summary>A <see cref="VlmModel"/> built from Hugging Face folders (the bases a model starts from), and its parts written back in their formats.</summary>
internal static partial class VlmModelFolder
{
    /// <summary>
    /// The LLM from a folder of any family (<see cref="TextFamilies"/>; a Qwen-7B folder's saved rotary
    /// buffers skipped) and the tower from a CLIP or SigLIP folder (its <c>vision_model.*</c>; a full
    /// checkpoint's text tower and SigLIP's pooling head are skipped, not loaded). Either folder may
    /// instead be a Hugging Face LLaVA folder (<c>LlavaForConditionalGeneration</c>, LLaVA-1.5's kind):
    /// its <c>text_config</c> or <c>vision_config</c> part is taken, and when the LLM comes from one so do
    /// its projector weights and its <c>vision_feature_layer</c> and select strategy (a fine-tune continues
    /// from it). Otherwise the projector starts from its initialisation.
    /// </summary>
    public static VlmModel FromBases(string llmFolder, string visionFolder, long imageTokenId, VisionFeatureOptions? features = null)
    {
        using var llm = CheckpointFolder.Open(llmFolder);
        using var vision = CheckpointFolder.Open(visionFolder);
        bool llmIsLlava = IsLlava(llm.Config), visionIsLlava = IsLlava(vision.Config);
        var towerConfig = VisionConfig.From(visionIsLlava ? LlavaSection(vision.Config, "vision_config") : vision.Config);
        if (!visionIsLlava) ExpectedTensor.CheckAll(vision, towerConfig.ExpectedTensors());
        var languageModel = llmIsLlava ? LlavaLanguageModel(llm.Config) : CausalLanguageModel.Create(llm.Config, llm);
        if (llmIsLlava)
        {
            features = LlavaFeatures(llm.Config);
            long llavaImageToken = llm.Config.Int("image_token_index");
            if (llavaImageToken != imageTokenId)
                throw new CheckpointFormatException(llm.Config.Path, null, $"image_token_index is {llavaImageToken} but the tokenizer's image token is {imageTokenId}; does the tokenizer belong to this LLaVA folder?");
        }
        var model = new VlmModel(towerConfig, languageModel, imageTokenId, features);
        if (imageTokenId >= model.LanguageModel.VocabSize)
            throw new ArgumentException($"the image token id {imageTokenId} is outside the LLM's vocabulary ({model.LanguageModel.VocabSize}); does the tokenizer belong to this model?");
        var isBase = ParameterRoles.IsBase(model);
        bool Adapter(string name) => !isBase(name);
        ModuleWeights.Load(model, llm, "language_model.", llmIsLlava
            ? LlavaPart("language_model.")
            : key => languageModel.Family.IsBuffer(key) ? null : "language_model." + key, Adapter);
        var towerKeys = TowerKeys(visionIsLlava);
        ModuleWeights.Load(model, vision, "vision_tower.", key => towerKeys(key) is { } name ? "vision_tower." + name : null);
        if (llmIsLlava)
        {
            ModuleWeights.Load(model, llm, "multi_modal_projector.", LlavaPart("multi_modal_projector."));
            CheckLlavaTensorsHaveParts(llm);
        }
        if (visionIsLlava) CheckLlavaTensorsHaveParts(vision);
        return model;
    }

    /// <summary>
    /// The tower alone, from a CLIP or SigLIP folder or a Hugging Face LLaVA folder, with the feature
    /// selection that goes with it (a LLaVA folder's own, else LLaVA-1.5's defaults): what caching a
    /// frozen tower's features needs, without loading an LLM.
    /// </summary>
    public static VisionTower ReadTower(string visionFolder, out VisionFeatureOptions features)
    {
        using var vision = CheckpointFolder.Open(visionFolder);
        bool isLlava = IsLlava(vision.Config);
        var config = VisionConfig.From(isLlava ? LlavaSection(vision.Config, "vision_config") : vision.Config);
        if (!isLlava) ExpectedTensor.CheckAll(vision, config.ExpectedTensors());
        features = isLlava ? LlavaFeatures(vision.Config) : new VisionFeatureOptions();
        var tower = new VisionTower(config);
        try
        {
            var towerKeys = TowerKeys(isLlava);
            // A LLaVA folder's other parts are not the tower's: skipped, not unexpected.
            ModuleWeights.Load(tower, vision, "", key => towerKeys(key));
            return tower;
        }
        catch
        {
            tower.Dispose();
            throw;
        }
    }

    /// <summary>A checkpoint key's name inside the tower module (<c>vision_model.*</c>), or null for keys that are not the tower's.</summary>
    static Func<string, string?> TowerKeys(bool llavaFolder)
    {
        if (llavaFolder)
        {
            var part = LlavaPart("vision_tower.");
            return key => part(key) is { } name && name.StartsWith("vision_tower.", StringComparison.Ordinal) ? VisionTower.ModuleName(name["vision_tower.".Length..]) : null;
        }
        return VisionTower.ModuleName;
    }

    /// <summary>Writes one part of the model as a Hugging Face folder: <c>config.json</c> and <c>model.safetensors</c>.</summary>
    public static void WriteHfFolder(torch.nn.Module model, string prefix, JsonObject config, string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        ModuleWeights.Save(model, Path.Combine(folder, CheckpointFolder.SingleFile), prefix, name => name[prefix.Length..],
            ParameterRoles.IsBase(model), new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>The vision tower as a Hugging Face vision-model folder (<c>vision_model.*</c> keys), loadable by <see cref="FromBases"/>.</summary>
    public static void WriteVisionFolder(VlmModel model, string folder) =>
        WriteHfFolder(model.VisionTower, "", model.VisionTower.Config.ToJson(), folder);

    /// <summary>Loads a folder written by <see cref="WriteVisionFolder"/> (or any CLIP/SigLIP folder of the same size) into the tower.</summary>
    public static void ReadVisionFolder(VlmModel model, string folder)
    {
        using var vision = CheckpointFolder.Open(folder);
        ModuleWeights.Load(model.VisionTower, vision, "", VisionTower.ModuleName);
    }

    /// <summary>The projector's weights with Hugging Face LLaVA's key names (<c>multi_modal_projector.linear_1.weight</c>, ...).</summary>
    public static void WriteProjector(VlmModel model, string path) =>
        ModuleWeights.Save(model, path, "multi_modal_projector.", name => name);

    public static void ReadProjector(VlmModel model, string path)
    {
        using var file = SafetensorsFile.Open(path);
        ModuleWeights.Load(model, file, "multi_modal_projector.", name => name);
    }
}
