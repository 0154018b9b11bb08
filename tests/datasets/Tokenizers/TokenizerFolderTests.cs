using Vlm.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.Tokenizers;

/// <summary>Missing, corrupt and unsupported tokenizer files fail with the file and the reason.</summary>
[Collection(TokenizerCollection.Name)]
public class TokenizerFolderTests(TokenizerFixture tokenizers)
{
    [Fact]
    public void A_missing_folder_is_reported()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load("/nonexistent/tokenizer"));
        Assert.Equal("/nonexistent/tokenizer", e.FilePath);
    }

    [Fact]
    public void A_folder_without_tokenizer_files_is_reported()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load(folder.Path));
        Assert.Contains("no qwen.tiktoken (Qwen-7B) and no tokenizer.json (Qwen2)", e.Reason);
    }

    [Fact]
    public void A_truncated_tokenizer_json_is_reported()
    {
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(Path.Combine(tokenizers.Qwen2Folder, "tokenizer.json"));
        File.WriteAllBytes(folder.File("tokenizer.json"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load(folder.Path));
        Assert.Equal(folder.File("tokenizer.json"), e.FilePath);
        Assert.Contains("not a valid tokenizer.json", e.Reason);
    }

    [Fact]
    public void A_tiktoken_line_that_is_not_base64_is_reported_with_its_line()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("qwen.tiktoken"), "IQ== 0\nIg== 1\n!!notbase64 2\n");
        var e = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load(folder.Path));
        Assert.Contains("line 3", e.Reason);
    }

    [Fact]
    public void A_tiktoken_with_duplicate_ranks_is_reported()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("qwen.tiktoken"), "IQ== 0\nIg== 0\n");
        var e = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load(folder.Path));
        Assert.Contains("rank 0 appears twice", e.Reason);
    }

    /// <summary>The 256 single bytes at ranks 0-255, as every byte-level vocabulary starts.</summary>
    static string ByteRanks() => string.Concat(Enumerable.Range(0, 256).Select(b => $"{Convert.ToBase64String([(byte)b])} {b}\n"));

    [Theory]
    [InlineData("blank", "line 257: a blank line between ranks")] // the library's reader never returned from this one
    [InlineData("noncanonical", "token is not canonical base64 ('jo==' decodes as 'jg==')")]
    [InlineData("missing byte", "byte 0x41 has no token of its own")]
    [InlineData("same token twice", "line 258: the token appears twice")]
    public void Tiktoken_files_the_fuzzer_broke_are_refused_by_line(string damage, string reason)
    {
        using var folder = new TempFolder();
        string text = damage switch
        {
            "blank" => ByteRanks() + "\n" + "YWI= 256\n",
            "noncanonical" => ByteRanks() + "jo== 256\n",
            "missing byte" => ByteRanks().Replace("QQ== 65\n", "YWI= 65\n"),
            _ => ByteRanks() + "YWI= 256\nYWI= 257\n",
        };
        File.WriteAllText(folder.File("qwen.tiktoken"), text);
        var e = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load(folder.Path));
        Assert.Contains(reason, e.Reason);
    }

    [Theory]
    [InlineData("\"vocab\":{\"a\":0,\"b\":1,\"ab\":2}", "\"merges\":[[\"a\"]]", "merge 0 is neither")]
    [InlineData("\"vocab\":{\"a\":0,\"b\":0,\"ab\":2}", "\"merges\":[[\"a\",\"b\"]]", "vocabulary id 0 of 'b' is negative or given twice")]
    public void Tokenizer_json_files_the_fuzzer_broke_are_refused(string vocab, string merges, string reason)
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("tokenizer.json"), MinimalTokenizerJson().Replace("\"vocab\":{\"a\":0,\"b\":1,\"ab\":2}", vocab).Replace("\"merges\":[[\"a\",\"b\"]]", merges));
        var e = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load(folder.Path));
        Assert.Contains(reason, e.Reason);
    }

    static string MinimalTokenizerJson(string preTokenizerRegex = SplitPreTokenizer.QwenPattern, string addedFlags = "") =>
        $$$"""
        {"added_tokens":[{"id":3,"content":"<|im_end|>","special":true{{{addedFlags}}}}],
         "normalizer":{"type":"NFC"},
         "pre_tokenizer":{"type":"Sequence","pretokenizers":[
           {"type":"Split","pattern":{"Regex":{{{System.Text.Json.JsonSerializer.Serialize(preTokenizerRegex)}}}},"behavior":"Isolated","invert":false},
           {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}]},
         "model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":[["a","b"]]}}
        """;

    [Fact]
    public void A_small_tokenizer_json_merges_by_its_merges()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("tokenizer.json"), MinimalTokenizerJson());
        var tokenizer = QwenTokenizer.Load(folder.Path);
        Assert.Equal(new[] { 2, 0, 3, 1 }, tokenizer.Encode("aba<|im_end|>b"));
        Assert.Equal(4, tokenizer.VocabularySize);
    }

    [Fact]
    public void A_pre_tokenizer_other_than_qwens_is_refused_rather_than_guessed()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("tokenizer.json"), MinimalTokenizerJson(preTokenizerRegex: @"\w+|\s+"));
        var e = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load(folder.Path));
        Assert.Contains("pre_tokenizer is not Qwen's", e.Reason);
    }

    [Fact]
    public void An_added_token_with_unsupported_flags_is_refused()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("tokenizer.json"), MinimalTokenizerJson(addedFlags: ",\"lstrip\":true"));
        var e = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load(folder.Path));
        Assert.Contains("'<|im_end|>' sets lstrip", e.Reason);
    }

    [Fact]
    public void Exported_tiktoken_holds_every_rank_of_the_tokenizer_json()
    {
        Assert.Equal(151643, File.ReadLines(Path.Combine(tokenizers.QwenFolder, "qwen.tiktoken")).Count());
        Assert.Equal(151643, tokenizers.Qwen.OrdinaryTokenCount);
    }
}
