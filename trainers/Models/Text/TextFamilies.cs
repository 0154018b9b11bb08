using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Llama;
using Vlm.Trainers.Models.Qwen;
using Vlm.Trainers.Models.Qwen2;

namespace Vlm.Trainers.Models.Text;

/// <summary>The language-model families this project implements, by <c>model_type</c> (Hugging Face's <c>AutoModelForCausalLM</c> idea).</summary>
internal static class TextFamilies
{
    /// <summary>Registration: one entry per family. Replaced whole (never changed in place), so readers need no lock.</summary>
    static TextFamily[] Registered = [Qwen2Family.Instance, QwenFamily.Instance, LlamaFamily.Instance];
    static readonly Lock Changing = new();

    public static IReadOnlyList<TextFamily> All => Registered;

    /// <summary>Every <c>model_type</c> some family loads.</summary>
    public static IEnumerable<string> ModelTypes => Registered.SelectMany(f => f.ModelTypes);

    /// <summary>The family of <paramref name="modelType"/>, or null.</summary>
    public static TextFamily? Find(string modelType) => Registered.FirstOrDefault(f => f.ModelTypes.Contains(modelType));

    /// <summary>The family of <paramref name="modelType"/>; an unknown one is an error naming <paramref name="configPath"/> and the types there are.</summary>
    public static TextFamily For(string modelType, string configPath) => Find(modelType)
        ?? throw new CheckpointFormatException(configPath, null, $"model_type '{modelType}' is not a language model this project implements ({string.Join(", ", ModelTypes)})");

    /// <summary>The family a <c>config.json</c> names (<c>model_type</c>; Qwen2's when absent, as older Qwen2 folders omit it).</summary>
    public static TextFamily Of(HfConfig config) => For(config.String("model_type", "qwen2")!, config.Path);

    /// <summary>Adds a family (tests prove a new family needs nothing but its folder and this call).</summary>
    internal static void Register(TextFamily family)
    {
        lock (Changing)
        {
            if (family.ModelTypes.FirstOrDefault(t => Find(t) is not null) is { } taken)
                throw new ArgumentException($"model_type '{taken}' is already registered");
            Registered = [.. Registered, family];
        }
    }

    internal static void Unregister(TextFamily family)
    {
        lock (Changing) Registered = [.. Registered.Where(f => f != family)];
    }
}
