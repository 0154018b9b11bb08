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

    [Fact]
    public void A_llama_needs_a_tokenizer_to_copy()
    {
        var init = CommandHarness.Run(new InitTinyCommand(), "--out", _root.File("a"), "--llm", "llama");
        Assert.Equal(2, init.Code);
        Assert.Contains("--llm llama needs --tokenizer_from", init.Err);
        Assert.False(Directory.Exists(_root.File("a")));
    }

    /// <summary>The command line from an empty folder to an answer with a Llama 3-tokenized tiny Llama: init-tiny, make-samples, prepare, train, predict.</summary>
    [Fact]
    public void A_tiny_llama_3_goes_through_prepare_train_and_predict_from_the_command_line()
    {
        string tokenizer = LlamaTokenizerFolders.Write(_root.Path, "llama3");
        var init = CommandHarness.Run(new InitTinyCommand(), "--out", _root.File("tiny"), "--llm", "llama", "--tokenizer_from", tokenizer,
            "--hidden", "16", "--layers", "1", "--image_size", "16", "--patch_size", "8");
        Assert.True(init.Code == 0, init.Out + init.Err);
        Assert.Contains("(llama, hidden 16, 1 layers, vocabulary 128257", init.Out);
        Assert.Contains("llama3 tokenizer included", init.Out);

        Assert.Equal(0, CommandHarness.Run(new MakeSamplesCommand(), "--output", _root.File("samples"), "--count", "6").Code);
        var prepare = CommandHarness.Run(new PrepareCommand(), "--format", "llava", "--annotations", _root.File("samples/llava.json"),
            "--images", _root.File("samples/images"), "--output", _root.File("shards"), "--tokenizer", _root.File("tiny/llm"), "--image_tokens", "4", "--system_prompt", "");
        Assert.True(prepare.Code == 0, prepare.Out + prepare.Err);
        using (var manifest = JsonDocument.Parse(File.ReadAllBytes(_root.File("shards/manifest.json"))))
            Assert.Equal("llama3", manifest.RootElement.GetProperty("config").GetProperty("template").GetProperty("format").GetString());

        var (code, output, error) = CommandHarness.Run(new TrainCommand(), [.. TinyTrainingRun.Train(_root, "out", batch: 3, steps: 2, saveSteps: 2, loraDropout: 0)[1..]]);
        Assert.True(code == 0, output + error);
        var predict = CommandHarness.Run(new PredictCommand(), "--weights", _root.File("out/model"), "--image", _root.File("samples/images/shape_00000.png"), "--prompt", "What shape?");
        Assert.True(predict.Code == 0, predict.Out + predict.Err);
    }
}
