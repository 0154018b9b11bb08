using Vlm.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.Tokenizers;

/// <summary>The vendored Qwen2 tokenizer and a Qwen-7B qwen.tiktoken folder derived from it, loaded once.</summary>
public sealed class TokenizerFixture : IDisposable
{
    readonly TempFolder _tiktokenFolder = new();

    public TokenizerFixture()
    {
        Qwen2Folder = Path.Combine(AppContext.BaseDirectory, "tokenizers", "qwen");
        Qwen2 = QwenTokenizer.Load(Qwen2Folder);
        TiktokenExport.FromTokenizerJson(Qwen2Folder, _tiktokenFolder.Path);
        QwenFolder = _tiktokenFolder.Path;
        Qwen = QwenTokenizer.Load(QwenFolder);
    }

    public string Qwen2Folder { get; }
    public string QwenFolder { get; }
    public QwenTokenizer Qwen2 { get; }
    public QwenTokenizer Qwen { get; }

    public static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "data", "tokenizer", name);

    public void Dispose() => _tiktokenFolder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class TokenizerCollection : ICollectionFixture<TokenizerFixture>
{
    public const string Name = "tokenizers";
}
