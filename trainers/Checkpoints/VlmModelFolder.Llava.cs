using System.Text.Json;
using System.Text.Json.Nodes;
using Vlm.Datasets.IO;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Text;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// A <see cref="VlmModel"/> as Hugging Face's <c>LlavaForConditionalGeneration</c> folder:
/// <c>config.json</c> (<c>model_type</c> llava with <c>text_config</c> and <c>vision_config</c>) and
/// <c>model.safetensors</c> with the classic keys <c>vision_tower.vision_model.*</c>,
/// <c>multi_modal_projector.linear_{1,2}.*</c>, <c>language_model.model.*</c> (and
/// <c>language_model.lm_head.weight</c> when untied). LoRA adapters are merged into the weights they adapt.
/// </summary>
internal static partial class VlmModelFolder
{
    public static void WriteLlava(VlmModel model, string folder)
    {
        var lm = model.LanguageModel;
        if (!lm.Family.IsTransformersBuiltIn)
            throw new NotSupportedException($"the LLaVA layout of Hugging Face transformers takes an LLM built into transformers; '{lm.Family}' is not one (it loads only with trust_remote_code)");
        Directory.CreateDirectory(folder);
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("LlavaForConditionalGeneration"),
            ["model_type"] = "llava",
            ["image_token_index"] = model.ImageTokenId,
            ["image_seq_length"] = model.ImageTokensPerImage,
            ["projector_hidden_act"] = "gelu",
            ["multimodal_projector_bias"] = true,
            ["vision_feature_layer"] = model.Features.Layer,
            // "default" drops the first (class) token, "full" keeps every feature.
            ["vision_feature_select_strategy"] = model.DropsFirstToken ? "default" : "full",
            ["tie_word_embeddings"] = lm.ConfigJson()["tie_word_embeddings"]?.DeepClone(),
            ["text_config"] = lm.ConfigJson(),
            ["vision_config"] = model.VisionTower.Config.ToJson(),
            ["torch_dtype"] = model.LanguageModel.HeadWeight.dtype == TorchSharp.torch.bfloat16 ? "bfloat16" : "float32",
        };
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var adapted = model.named_modules().Select(m => m.module).OfType<LoraLinear>().Where(l => l.HasAdapter).ToList();
        foreach (var layer in adapted) layer.Merge();
        try
        {
            ModuleWeights.Save(model, Path.Combine(folder, CheckpointFolder.SingleFile), "", name => name,
                ParameterRoles.IsBase(model), new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var layer in adapted) layer.Unmerge();
        }
    }

    /// <summary>Reads a folder written by <see cref="WriteLlava"/> (or by Hugging Face, with an LLM of a built-in family and a CLIP or SigLIP tower).</summary>
    public static VlmModel ReadLlava(string folder)
    {
        long imageToken;
        using (var checkpoint = CheckpointFolder.Open(folder))
        {
            if (!IsLlava(checkpoint.Config))
                throw new CheckpointFormatException(checkpoint.Config.Path, null, $"model_type is '{checkpoint.Config.String("model_type")}', not 'llava'");
            imageToken = checkpoint.Config.Int("image_token_index");
        }
        // One loader for LLaVA folders, whether they hold the whole model or serve as a base.
        var model = FromBases(folder, folder, imageToken);
        model.eval();
        return model;
    }

    /// <summary>The LLM a LLaVA config's <c>text_config</c> describes: a family transformers has built in.</summary>
    static CausalLanguageModel LlavaLanguageModel(HfConfig config)
    {
        var text = LlavaSection(config, "text_config");
        var family = TextFamilies.Of(text);
        if (!family.IsTransformersBuiltIn)
            throw new CheckpointFormatException(config.Path, null, $"text_config's model_type '{family}' is not one transformers' LLaVA holds");
        return family.Create(text, checkpoint: null);
    }

    /// <summary>
    /// Refuses a LLaVA folder holding tensors of no part of a LLaVA model (another model's file):
    /// each part loads only its own keys, so without this a stray tensor would pass unnoticed.
    /// </summary>
    static void CheckLlavaTensorsHaveParts(CheckpointFolder checkpoint)
    {
        string[] parts = ["language_model.", "vision_tower.", "multi_modal_projector."];
        var stray = checkpoint.Names.Where(key => LlavaModuleName(key) is { } name && !parts.Any(p => name.StartsWith(p, StringComparison.Ordinal))).Order(StringComparer.Ordinal).ToList();
        if (stray.Count > 0)
            throw new CheckpointFormatException(checkpoint.Folder, stray[0],
                $"{stray.Count} tensor(s) belong to no part of a LLaVA model ({string.Join(", ", stray.Take(5))}); is this the right kind of checkpoint?");
    }

    /// <summary>Whether a <c>config.json</c> is a LLaVA folder's.</summary>
    static bool IsLlava(HfConfig config) => config.String("model_type") == "llava";

    /// <summary>A LLaVA config's <c>text_config</c> or <c>vision_config</c>.</summary>
    static HfConfig LlavaSection(HfConfig config, string name) =>
        config.Section(name) ?? throw new CheckpointFormatException(config.Path, null, $"no {name}");

    /// <summary>How the folder's model takes image features: <c>vision_feature_layer</c>; "default" drops the first (class) token, "full" keeps every feature.</summary>
    static VisionFeatureOptions LlavaFeatures(HfConfig config) => new()
    {
        Layer = config.Int("vision_feature_layer", -2),
        DropFirstToken = config.String("vision_feature_select_strategy", "default") switch
        {
            "default" => true,
            "full" => false,
            var other => throw new CheckpointFormatException(config.Path, null, $"vision_feature_select_strategy '{other}' is not default or full"),
        },
    };

    /// <summary>The folder's keys for one part of the model (<c>language_model.</c>, <c>vision_tower.</c>, <c>multi_modal_projector.</c>), as module names; other keys skipped.</summary>
    static Func<string, string?> LlavaPart(string prefix) => key => LlavaModuleName(key) is { } name && name.StartsWith(prefix, StringComparison.Ordinal) ? name : null;

    /// <summary>Transformers 4.52 and later save under <c>model.*</c> with the head at the top; earlier versions (and <see cref="WriteLlava"/>) use the classic keys.</summary>
    static string? LlavaModuleName(string key) => key switch
    {
        _ when key.StartsWith("model.language_model.", StringComparison.Ordinal) => "language_model.model." + key["model.language_model.".Length..],
        _ when key.StartsWith("model.vision_tower.", StringComparison.Ordinal) => key["model.".Length..],
        _ when key.StartsWith("model.multi_modal_projector.", StringComparison.Ordinal) => key["model.".Length..],
        _ when key.StartsWith("lm_head.", StringComparison.Ordinal) => "language_model." + key,
        _ => key,
    };
}
