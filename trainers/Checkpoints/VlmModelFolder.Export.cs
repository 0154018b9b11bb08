using System.Text.Json;
using System.Text.Json.Nodes;
using Vlm.Datasets.IO;
using Vlm.Trainers.Estimator;
using Vlm.Transforms.Conversations;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// A trained model as a self-contained Hugging Face LLaVA folder, for use from Python
/// (<c>LlavaForConditionalGeneration.from_pretrained</c> + <c>AutoProcessor</c>): the weights and
/// config (<see cref="WriteLlava"/>), the tokenizer files, the image processor's config, a
/// processor config naming the image token, the chat template the model was trained with, and a
/// generation config that stops where this pipeline stops.
/// </summary>
internal static partial class VlmModelFolder
{
    static readonly string[] ExportedTokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "qwen.tiktoken"];
    static readonly JsonSerializerOptions ExportJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Export(VlmPredictor predictor, string folder)
    {
        AtomicFolder.Write(folder, temp => ExportInto(predictor, temp));
    }

    static void ExportInto(VlmPredictor predictor, string temp)
    {
        var model = predictor.Model;
        var spec = predictor.Spec;
        WriteLlava(model, temp);

        foreach (var name in ExportedTokenizerFiles.Where(n => File.Exists(Path.Combine(spec.Tokenizer, n))))
            File.Copy(Path.Combine(spec.Tokenizer, name), Path.Combine(temp, name));
        string imageProcessor = Path.Combine(spec.Vision, "preprocessor_config.json");
        if (!File.Exists(imageProcessor)) throw new FileNotFoundException($"{imageProcessor}: the vision tower's image processor config is missing; the export needs it", imageProcessor);
        var preprocessor = JsonNode.Parse(File.ReadAllText(imageProcessor))!.AsObject();
        preprocessor["processor_class"] = "LlavaProcessor";
        ExportFile(temp, "preprocessor_config.json", preprocessor);

        var tower = model.VisionTower.Config;
        ExportFile(temp, "processor_config.json", new JsonObject
        {
            ["processor_class"] = "LlavaProcessor",
            ["image_token"] = ChatTemplate.Of(spec.Format).ImageToken,
            ["patch_size"] = tower.PatchSize,
            ["vision_feature_select_strategy"] = model.DropsFirstToken ? "default" : "full",
            // CLIP's class token is one feature beyond the patches; "default" then drops it again.
            ["num_additional_image_tokens"] = tower.HasClassToken ? 1 : 0,
        });
        ExportFile(temp, "chat_template.json", new JsonObject { ["chat_template"] = ChatTemplateJinja.For(spec.Template) });
        ExportFile(temp, "generation_config.json", new JsonObject
        {
            ["eos_token_id"] = new JsonArray([.. predictor.Generation.StopTokenIds.Select(id => JsonValue.Create(id))]),
            ["do_sample"] = false,
            ["max_new_tokens"] = predictor.Generation.MaxNewTokens,
        });

    }

    static void ExportFile(string folder, string name, JsonObject value) => AtomicFile.WriteAllText(Path.Combine(folder, name), value.ToJsonString(ExportJson) + "\n");
}
