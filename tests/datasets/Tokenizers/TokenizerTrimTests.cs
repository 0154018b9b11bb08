using System.Text.Json;
using Vlm.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.Tokenizers;

[Collection(TokenizerCollection.Name)]
public sealed class TokenizerTrimTests(TokenizerFixture tokenizers) : IDisposable
{
    static readonly string[] Corpus = ["A small red circle.", "What shape is in the image?\n", "图中有一个红色的圆形。", "user\n", "It is 42, on the left."];

    readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    static Dictionary<int, string> Vocabulary(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, TokenizerFolder.TokenizerJson)));
        return doc.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Value.GetInt32(), p => p.Name);
    }

    [Fact]
    public void The_corpus_encodes_to_the_same_tokens_as_with_the_whole_vocabulary()
    {
        int size = TokenizerTrim.Write(tokenizers.Qwen2Folder, Corpus, _folder.Path);
        var trimmed = QwenTokenizer.Load(_folder.Path);
        var fullVocabulary = Vocabulary(tokenizers.Qwen2Folder);
        var trimmedVocabulary = Vocabulary(_folder.Path);

        Assert.Equal(size, trimmed.VocabularySize);
        foreach (string text in Corpus)
        {
            var full = tokenizers.Qwen2.Encode(text).Select(id => fullVocabulary[id]).ToList();
            var mine = trimmed.Encode(text).Select(id => trimmedVocabulary[id]).ToList();
            Assert.Equal(full, mine);
            Assert.True(full.Count < text.Length, $"'{text}' should use merged tokens, not bytes only");
        }
        // The byte symbols, the corpus's tokens and what they are merged from, and Qwen2's 26 added tokens.
        Assert.InRange(size, 256 + 26 + 20, 400);
    }

    [Fact]
    public void Other_text_still_encodes_in_smaller_pieces_and_decodes_back()
    {
        TokenizerTrim.Write(tokenizers.Qwen2Folder, Corpus, _folder.Path);
        var trimmed = QwenTokenizer.Load(_folder.Path);
        const string text = "Zebras cross the Straße in München, 2024 🚀";

        var ids = trimmed.Encode(text);

        Assert.Equal(text, trimmed.Decode(ids));
        Assert.All(ids, id => Assert.InRange(id, 0, trimmed.OrdinaryTokenCount - 1));
        Assert.True(ids.Count > tokenizers.Qwen2.Encode(text).Count);
    }

    [Fact]
    public void Added_tokens_keep_their_order_after_the_ordinary_ones_in_both_files()
    {
        TokenizerTrim.Write(tokenizers.Qwen2Folder, Corpus, _folder.Path);
        var trimmed = QwenTokenizer.Load(_folder.Path);

        var order = tokenizers.Qwen2.SpecialTokens.OrderBy(p => p.Value).Select(p => p.Key).ToList();
        Assert.Equal(order, trimmed.SpecialTokens.OrderBy(p => p.Value).Select(p => p.Key));
        Assert.Equal(trimmed.OrdinaryTokenCount, trimmed.SpecialTokenId("<|endoftext|>"));
        Assert.Equal(trimmed.OrdinaryTokenCount + 2, trimmed.SpecialTokenId("<|im_end|>"));
        Assert.Equal(trimmed.VocabularySize - 1, trimmed.SpecialTokens.Values.Max());
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_folder.Path, TokenizerFolder.TokenizerConfigJson)));
        var decoder = config.RootElement.GetProperty("added_tokens_decoder").EnumerateObject()
            .ToDictionary(p => p.Value.GetProperty("content").GetString()!, p => int.Parse(p.Name));
        Assert.Equal(trimmed.SpecialTokens.OrderBy(p => p.Key), decoder.OrderBy(p => p.Key));
        Assert.Equal([trimmed.SpecialTokenId("<|im_start|>")!.Value, .. trimmed.Encode("user"), trimmed.SpecialTokenId("<|im_end|>")!.Value],
            trimmed.Encode("<|im_start|>user<|im_end|>"));
    }

    [Fact]
    public void A_qwen_7b_tiktoken_folder_cannot_be_trimmed()
    {
        var error = Assert.Throws<TokenizerFormatException>(() => TokenizerTrim.Write(tokenizers.QwenFolder, Corpus, _folder.Path));
        Assert.Contains("tokenizer.json", error.Message);
        Assert.False(File.Exists(_folder.File(TokenizerFolder.TokenizerJson)));
    }
}
