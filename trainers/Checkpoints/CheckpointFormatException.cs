namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// A checkpoint file is malformed: names the file, the tensor (when one is at fault) and the reason.
/// </summary>
public sealed class CheckpointFormatException : FormatException
{
    public CheckpointFormatException(string filePath, string? tensorName, string reason)
        : base(tensorName is null ? $"{filePath}: {reason}" : $"{filePath}: tensor '{tensorName}': {reason}")
    {
        FilePath = filePath;
        TensorName = tensorName;
        Reason = reason;
    }

    public string FilePath { get; }
    public string? TensorName { get; }
    public string Reason { get; }
}
