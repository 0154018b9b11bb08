using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using Vlm.Datasets.IO;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Models.Modules;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// LoRA adapters in peft's on-disk format: <c>adapter_config.json</c> and
/// <c>adapter_model.safetensors</c> with keys <c>base_model.model.{module}.lora_A.weight</c> /
/// <c>lora_B.weight</c>, the module names being those of the Hugging Face model the adapter is on.
/// </summary>
internal static partial class VlmModelFolder
{
    public const string AdapterConfigFile = "adapter_config.json", AdapterWeightsFile = "adapter_model.safetensors";
    /// <summary>peft's task types: a language model's adapter, and a vision tower's (an encoder of features).</summary>
    public const string LanguageAdapterTask = "CAUSAL_LM", VisionAdapterTask = "FEATURE_EXTRACTION";
    const string PeftPrefix = "base_model.model.";

    /// <summary>Writes the adapters of <paramref name="model"/> (names relative to the LLM) in peft's format.</summary>
    public static void WriteAdapter(torch.nn.Module model, string folder, LoraOptions options, string? baseModel, string task = LanguageAdapterTask)
    {
        Directory.CreateDirectory(folder);
        var isBase = ParameterRoles.IsBase(model);
        ModuleWeights.Save(model, Path.Combine(folder, AdapterWeightsFile), "", name => PeftPrefix + name, name => !isBase(name),
            new Dictionary<string, string> { ["format"] = "pt" });
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = task,
            ["r"] = options.Rank,
            ["lora_alpha"] = options.Alpha,
            ["lora_dropout"] = options.Dropout,
            ["target_modules"] = options.IsRegex
                ? options.TargetModules
                : new JsonArray([.. options.TargetModules.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => (JsonNode)t)]),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["base_model_name_or_path"] = baseModel,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, AdapterConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads a peft adapter folder's settings (as written by peft or by <see cref="WriteAdapter"/>).</summary>
    public static LoraOptions ReadAdapterOptions(string folder)
    {
        string path = Path.Combine(folder, AdapterConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no {AdapterConfigFile}; not a peft adapter folder", path);
        var root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new CheckpointFormatException(path, null, "empty adapter config");
        if ((string?)root["peft_type"] is { } type && type != "LORA") throw new CheckpointFormatException(path, null, $"peft_type '{type}' is not LORA");
        var targets = root["target_modules"];
        return new LoraOptions
        {
            Rank = (int?)root["r"] ?? throw new CheckpointFormatException(path, null, "\"r\" is missing"),
            Alpha = (double?)root["lora_alpha"] ?? 8,
            Dropout = (double?)root["lora_dropout"] ?? 0,
            TargetModules = targets switch
            {
                JsonArray list => string.Join('|', list.Select(t => (string?)t)),
                JsonValue value => (string)value!,
                _ => throw new CheckpointFormatException(path, null, "\"target_modules\" is missing"),
            },
        };
    }

    /// <summary>Adds the adapter of <paramref name="folder"/> to <paramref name="model"/> and loads its weights.</summary>
    public static void ReadAdapter(torch.nn.Module model, string folder)
    {
        LoraLayers.Add(model, ReadAdapterOptions(folder));
        ReadAdapterWeights(model, folder);
    }

    /// <summary>Loads the weights of <paramref name="folder"/>'s adapter into adapters <paramref name="model"/> already has.</summary>
    public static void ReadAdapterWeights(torch.nn.Module model, string folder)
    {
        using var file = SafetensorsFile.Open(Path.Combine(folder, AdapterWeightsFile));
        // The base weights are not the adapter file's: only the adapters' parameters must be in it.
        ModuleWeights.Load(model, file, "", key =>
        {
            // peft writes "...lora_A.weight"; older peft versions kept the adapter name ("lora_A.default.weight").
            string name = key.StartsWith(PeftPrefix, StringComparison.Ordinal) ? key[PeftPrefix.Length..] : key;
            return name.Replace(".lora_A.default.", ".lora_A.", StringComparison.Ordinal).Replace(".lora_B.default.", ".lora_B.", StringComparison.Ordinal);
        }, optional: ParameterRoles.IsBase(model));
    }
}
