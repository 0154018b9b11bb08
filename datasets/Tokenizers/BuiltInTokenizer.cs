namespace Vlm.Datasets.Tokenizers;

/// <summary>The Qwen tokenizer shipped with the project (datasets/tokenizers/qwen), copied next to every app.</summary>
public static class BuiltInTokenizer
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "tokenizers", "qwen");
}
