using System.Text.Json.Serialization;
using System.Text.Json;
using TorchSharp;
using Vlm.Datasets.IO;
using Vlm.Datasets.Tokenizers;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Lora;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Processing;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// The one owner of how this pipeline's models lie on disk, in every form they take:
/// <list type="bullet">
/// <item>a trained model (this file): <c>vlm.json</c> (<see cref="VlmModelSpec"/>: the base folders are referenced, not copied) and what trained (VlmModelFolder.Parts.cs);</item>
/// <item><c>checkpoint-{step}/</c> folders of a run (VlmModelFolder.Checkpoints.cs): the same parts, the optimizer, random states;</item>
/// <item>the base Hugging Face folders a model is built from and their formats written back (VlmModelFolder.HfFolders.cs);</item>
/// <item>LoRA adapters in peft's format (VlmModelFolder.Peft.cs);</item>
/// <item>Hugging Face's LLaVA folder, read as a base and written by export (VlmModelFolder.Llava.cs, VlmModelFolder.Export.cs);</item>
/// <item>the folder beside an ML.NET pipeline's zip (VlmModelFolder.Pipeline.cs).</item>
/// </list>
/// Every folder is written into a temporary one and renamed (<see cref="AtomicFolder"/>), so a folder with the final name is complete.
/// </summary>
internal static partial class VlmModelFolder
{
    public const string SpecFile = "vlm.json";
    /// <summary>The trained model's folder in a run's output folder.</summary>
    public const string ModelName = "model";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Where a run writing into <paramref name="outputDir"/> leaves its trained model.</summary>
    public static string InOutput(string outputDir) => Path.Combine(outputDir, ModelName);

    /// <summary>
    /// Writes the model; the base folders go into <c>vlm.json</c> relative to <paramref name="folder"/>,
    /// so a model folder moved together with its bases (or copied to another machine beside them) still loads.
    /// </summary>
    public static void Write(VlmModel model, VlmModelSpec spec, LoraOptions? lora, string folder)
    {
        string home = Path.GetFullPath(folder);
        string Relative(string path) => Path.GetRelativePath(home, Path.GetFullPath(path));
        var stored = spec with { Llm = Relative(spec.Llm), Vision = Relative(spec.Vision), Tokenizer = Relative(spec.Tokenizer) };
        AtomicFolder.Write(folder, temp =>
        {
            AtomicFile.WriteAllText(Path.Combine(temp, SpecFile), JsonSerializer.Serialize(stored, Json));
            WriteParts(model, temp, spec.Parts, lora, spec.Llm);
        });
    }

    /// <summary>The folder's <c>vlm.json</c>, its base folders made absolute (relative ones are relative to <paramref name="folder"/>) or replaced by <paramref name="bases"/>.</summary>
    public static VlmModelSpec ReadSpec(string folder, VlmBaseFolders? bases = null)
    {
        string path = Path.Combine(folder, SpecFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no {SpecFile}; not a model folder written by this pipeline", path);
        try
        {
            var spec = JsonSerializer.Deserialize<VlmModelSpec>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty");
            string home = Path.GetFullPath(folder);
            string Absolute(string? overridden, string stored) => Path.GetFullPath(overridden ?? Path.Combine(home, stored));
            return spec with
            {
                Llm = Absolute(bases?.Llm, spec.Llm), Vision = Absolute(bases?.Vision, spec.Vision),
                Tokenizer = Absolute(bases?.Tokenizer ?? (bases?.Llm is { } llm && spec.Tokenizer == spec.Llm ? llm : null), spec.Tokenizer),
            };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The model of <paramref name="folder"/> on <paramref name="device"/> in <paramref name="dtype"/>, in eval mode, with its processor (text and images).</summary>
    public static (VlmModel Model, VlmModelSpec Spec, VlmProcessor Processor) Read(string folder, torch.Device device, torch.ScalarType dtype, VlmBaseFolders? bases = null)
    {
        var spec = ReadSpec(folder, bases);
        foreach (var (what, path) in new[] { ("base LLM", spec.Llm), ("base vision tower", spec.Vision), ("tokenizer", spec.Tokenizer) })
            if (!Directory.Exists(path))
                throw new DirectoryNotFoundException($"{Path.Combine(folder, SpecFile)}: the {what} folder {path} is gone; the model needs it (moved? give its new place: LoadFolder(folder, bases: new VlmBaseFolders {{ ... }}))");
        var tokenizer = TextTokenizer.Load(spec.Tokenizer);
        var encoder = new ConversationEncoder(tokenizer, spec.Template);
        var parts = spec.Parts;
        // A part that trained whole is read from this folder in place of its base, not over it.
        var model = FromBases(LlmSource(folder, parts, spec.Llm), VisionSource(folder, parts, spec.Vision), encoder.ImageTokenId,
            new VisionFeatureOptions { Layer = spec.VisionFeatureLayer, DropFirstToken = spec.DropFirstToken });
        if (spec.ImageTokenCount != model.ImageTokensPerImage)
        {
            model.Dispose();
            // Checked before any prompt is encoded: a wrong count would make that many placeholder ids per image.
            throw new InvalidDataException($"{Path.Combine(folder, SpecFile)}: image_token_count is {spec.ImageTokenCount} but the vision tower gives {model.ImageTokensPerImage} features per image");
        }
        LoadProjectorAndAdapter(model, folder, parts, addAdapters: true);
        model.to(device).to(dtype);
        model.eval();
        return (model, spec, new VlmProcessor(encoder, model.VisionTower.Config.ImageProcessor(spec.Vision)));
    }
}
