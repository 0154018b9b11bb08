using static TorchSharp.torch;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// Copies tensors (a checkpoint folder, a projector or adapter file) into a module's parameters by name, strictly: a checkpoint tensor with
/// no parameter, a parameter with no tensor, or a shape mismatch is an error naming the key, so a
/// wrong or truncated checkpoint never loads half-way into a model that then trains on noise.
/// </summary>
internal static class ModuleWeights
{
    /// <summary>
    /// Loads <paramref name="source"/> into the parameters of <paramref name="module"/> whose names
    /// start with <paramref name="modulePrefix"/>. <paramref name="map"/> turns a checkpoint key into a
    /// parameter name, or null to skip the key (a text tower in a full CLIP checkpoint).
    /// <paramref name="optional"/> names parameters under the prefix that may be absent (LoRA adapters in a base checkpoint, base weights in an adapter file).
    /// </summary>
    public static void Load(nn.Module module, ITensorSource source, string modulePrefix, Func<string, string?> map, Func<string, bool>? optional = null)
    {
        var parameters = module.named_parameters().Where(p => p.name.StartsWith(modulePrefix, StringComparison.Ordinal)).ToDictionary(p => p.name, p => p.parameter);
        var loaded = new HashSet<string>();
        var unexpected = new List<string>();
        using var _ = no_grad();
        foreach (var key in source.Names.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (map(key) is not { } name) continue;
            if (!parameters.TryGetValue(name, out var parameter))
            {
                unexpected.Add(key);
                continue;
            }
            using var tensor = source.Load(key, parameter.dtype, parameter.device);
            if (!tensor.shape.SequenceEqual(parameter.shape))
                throw new CheckpointFormatException(source.Location, key,
                    $"shape [{string.Join(", ", tensor.shape)}] does not fit parameter {name} [{string.Join(", ", parameter.shape)}]; does the file belong to this model and its config?");
            parameter.copy_(tensor);
            loaded.Add(name);
        }
        if (unexpected.Count > 0)
            throw new CheckpointFormatException(source.Location, unexpected[0],
                $"{unexpected.Count} tensor(s) match no parameter of the model ({string.Join(", ", unexpected.Take(5))}); is this the right kind of checkpoint?");
        var missing = parameters.Keys.Where(n => !loaded.Contains(n) && !(optional?.Invoke(n) ?? false)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new CheckpointFormatException(source.Location, null,
                $"{missing.Count} parameter(s) have no tensor in the checkpoint ({string.Join(", ", missing.Take(5))})");
    }

    /// <summary>The parameters under <paramref name="modulePrefix"/>, renamed by <paramref name="rename"/>, as safetensors (atomically).</summary>
    public static void Save(nn.Module module, string path, string modulePrefix, Func<string, string> rename, Func<string, bool>? include = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var tensors = module.named_parameters()
            .Where(p => p.name.StartsWith(modulePrefix, StringComparison.Ordinal) && (include?.Invoke(p.name) ?? true))
            .Select(p => KeyValuePair.Create(rename(p.name), (Tensor)p.parameter.detach().cpu().contiguous()))
            .ToList();
        try
        {
            SafetensorsWriter.Write(path, tensors, metadata);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }
}
