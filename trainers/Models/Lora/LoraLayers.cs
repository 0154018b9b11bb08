using TorchSharp;
using Vlm.Trainers.Models.Modules;

namespace Vlm.Trainers.Models.Lora;

/// <summary>LoRA added to a model's linear layers by name, after the model is built (any module, the tower's included).</summary>
internal static class LoraLayers
{
    /// <summary>Adds adapters to every matching linear layer of <paramref name="model"/>; returns their names. None matching is an error.</summary>
    public static IReadOnlyList<string> Add(torch.nn.Module model, LoraOptions options)
    {
        var targets = model.named_modules().Where(m => m.module is LoraLinear && options.Matches(m.name)).ToList();
        if (targets.Count == 0)
        {
            var linear = model.named_modules().Where(m => m.module is LoraLinear).Select(m => m.name.Split('.')[^1]).Distinct();
            throw new ArgumentException($"target_modules '{options.TargetModules}' matches no linear layer; this model has {string.Join(", ", linear)}");
        }
        foreach (var (_, module) in targets) ((LoraLinear)module).AddAdapter(options.Rank, options.Alpha, options.Dropout);
        return [.. targets.Select(t => t.name)];
    }
}
