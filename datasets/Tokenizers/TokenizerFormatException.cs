namespace Vlm.Datasets.Tokenizers;

/// <summary>A tokenizer folder or file is missing, corrupt or of a kind this project does not support.</summary>
public sealed class TokenizerFormatException(string path, string reason) : FormatException($"{path}: {reason}")
{
    public string FilePath { get; } = path;
    public string Reason { get; } = reason;
}
