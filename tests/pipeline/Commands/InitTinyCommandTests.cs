using System.Text.Json;
using Vlm.Datasets.Tokenizers;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Commands;

[Collection(TorchRandomCollection.Name)]
public sealed class InitTinyCommandTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Vocabulary_from_a_text_file_gives_an_llm_with_that_many_output_rows()
    {
        File.WriteAllText(_root.File("texts.txt"), "A small red circle.\n图中有一个红色的圆形。\n");

        var init = CommandHarness.Run(new InitTinyCommand(), "--out", _root.File("tiny"), "--hidden", "16", "--layers", "1", "--vocabulary_from", _root.File("texts.txt"));

        Assert.True(init.Code == 0, init.Out + init.Err);
        var tokenizer = QwenTokenizer.Load(_root.File("tiny/llm"));
        using var config = JsonDocument.Parse(File.ReadAllBytes(_root.File("tiny/llm/config.json")));
        Assert.Equal(tokenizer.VocabularySize, config.RootElement.GetProperty("vocab_size").GetInt32());
        Assert.InRange(tokenizer.VocabularySize, 256 + 26, 400);
        Assert.Contains($"vocabulary {tokenizer.VocabularySize} trimmed to {_root.File("texts.txt")}", init.Out);
    }

    [Fact]
    public void Vocabulary_from_needs_qwen2_and_an_existing_file()
    {
        File.WriteAllText(_root.File("texts.txt"), "text");
        var qwen = CommandHarness.Run(new InitTinyCommand(), "--out", _root.File("a"), "--llm", "qwen", "--vocabulary_from", _root.File("texts.txt"));
        Assert.Equal(2, qwen.Code);
        Assert.Contains("--vocabulary_from needs --llm qwen2", qwen.Err);

        var missing = CommandHarness.Run(new InitTinyCommand(), "--out", _root.File("b"), "--vocabulary_from", _root.File("none.txt"));
        Assert.Equal(1, missing.Code);
        Assert.Contains("none.txt: no such text file", missing.Err);
        Assert.False(Directory.Exists(_root.File("b")));
    }
}
