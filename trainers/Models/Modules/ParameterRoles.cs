using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>What a parameter is, told by the module that holds it (as Hugging Face's trainer finds norms by layer type), not by its name.</summary>
internal enum ParameterRole
{
    /// <summary>A weight matrix (or embedding table): decayed.</summary>
    Weight,
    /// <summary>A bias, or any other vector outside a norm: not decayed.</summary>
    Bias,
    /// <summary>A normalization layer's scale or shift: not decayed.</summary>
    Norm,
    /// <summary>A LoRA adapter's A or B matrix (inside a <see cref="LoraLinear"/>): what LoRA trains, never saved with the base weights.</summary>
    Adapter,
}

internal static class ParameterRoles
{
    /// <summary>Every parameter of <paramref name="model"/> by its full name, with its role.</summary>
    public static Dictionary<string, ParameterRole> Of(nn.Module model)
    {
        var adapters = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var norms = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (_, module) in model.named_modules())
        {
            if (module is LoraLinear lora) adapters.UnionWith(lora.AdapterParameters);
            else if (module is RmsNorm or LayerNorm) norms.UnionWith(module.parameters());
        }
        return model.named_parameters().ToDictionary(p => p.name, p =>
            adapters.Contains(p.parameter) ? ParameterRole.Adapter
            : norms.Contains(p.parameter) ? ParameterRole.Norm
            : p.parameter.dim() < 2 ? ParameterRole.Bias
            : ParameterRole.Weight);
    }

    /// <summary>The names of <paramref name="model"/>'s parameters that are not LoRA adapters (what a base checkpoint holds).</summary>
    public static Func<string, bool> IsBase(nn.Module model)
    {
        var roles = Of(model);
        return name => !roles.TryGetValue(name, out var role) || role != ParameterRole.Adapter;
    }

    /// <summary>Whether AdamW's weight decay applies: weights only, not biases, norms (Hugging Face's rule).</summary>
    public static bool Decays(ParameterRole role) => role is ParameterRole.Weight or ParameterRole.Adapter;
}
