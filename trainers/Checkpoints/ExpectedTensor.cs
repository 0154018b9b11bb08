namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// A tensor a config says the checkpoint must hold, with its shape, and the config fields that
/// decide it. Checked against the safetensors headers before any module is built, so a config that
/// claims 100,000 layers or a 100,000-pixel image fails at once, naming the file and field, instead
/// of allocating for minutes.
/// </summary>
internal sealed record ExpectedTensor(string Name, long[] Shape, string Fields)
{
    /// <summary>Throws <see cref="CheckpointFormatException"/> (naming <c>config.json</c> and the fields) at the first tensor that is missing or shaped otherwise.</summary>
    public static void CheckAll(CheckpointFolder checkpoint, IEnumerable<ExpectedTensor> expected)
    {
        foreach (var tensor in expected)
        {
            var actual = checkpoint.Shape(tensor.Name);
            if (actual is not null && actual.SequenceEqual(tensor.Shape)) continue;
            throw new CheckpointFormatException(checkpoint.Config.Path, null,
                $"{tensor.Fields} say {tensor.Name} is [{string.Join(", ", tensor.Shape)}], but {checkpoint.Folder} "
                + (actual is null ? "has no such tensor" : $"has it as [{string.Join(", ", actual)}]") + "; the config does not describe these weights");
        }
    }
}
