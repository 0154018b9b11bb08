using System.Text;
using System.Text.Json;
using Vlm.Pipeline.Commands;
using Vlm.Tests.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Commands;

[Collection(TokenizerCollection.Name)]
public class TokenizeCommandTests(TokenizerFixture tokenizers)
{
    static (int Code, string Out, string Err) Run(params string[] args) => CommandHarness.Run(new TokenizeCommand(), args);

    [Theory]
    [InlineData("qwen2", "expected-qwen2.jsonl")]
    [InlineData("qwen", "expected-qwen.jsonl")]
    public void Jsonl_corpus_gives_hugging_faces_ids_line_by_line(string kind, string expectedFile)
    {
        using var temp = new TempFolder();
        string folder = kind == "qwen" ? tokenizers.QwenFolder : tokenizers.Qwen2Folder;
        var (code, _, err) = Run("--tokenizer", folder, "--input", TokenizerFixture.DataFile("corpus.jsonl"), "--output", temp.File("out.jsonl"));
        Assert.True(code == 0, err);
        var actual = File.ReadAllLines(temp.File("out.jsonl"));
        var expected = File.ReadAllLines(TokenizerFixture.DataFile(expectedFile));
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            using var a = JsonDocument.Parse(actual[i]);
            using var e = JsonDocument.Parse(expected[i]);
            Assert.Equal(e.RootElement.GetProperty("text").GetString(), a.RootElement.GetProperty("text").GetString());
            Assert.Equal(e.RootElement.GetProperty("ids").GetRawText(), a.RootElement.GetProperty("ids").GetRawText());
        }
    }

    [Fact]
    public void Plain_text_input_is_one_text_per_line_with_special_tokens_mapped()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("in.txt"), "Hello world!\r\n<|im_start|>user\n\n");
        var (code, _, err) = Run("--input", temp.File("in.txt"), "--output", temp.File("out.jsonl"));
        Assert.True(code == 0, err);
        Assert.Equal(new[]
        {
            """{"text":"Hello world!","ids":[9707,1879,0]}""",
            """{"text":"<|im_start|>user","ids":[151644,872]}""",
            """{"text":"","ids":[]}""",
        }, File.ReadAllLines(temp.File("out.jsonl")));
    }

    [Fact]
    public void Kebab_and_snake_case_options_are_the_same_option()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("in.txt"), "hi\n");
        Assert.Equal(0, Run("--input", temp.File("in.txt"), "--output", temp.File("out.jsonl")).Code);
        Assert.Equal(2, Run("--input", temp.File("in.txt"), "--input", temp.File("in.txt"), "--output", temp.File("o.jsonl")).Code);
    }

    [Fact]
    public void Invalid_utf8_names_file_and_line_and_keeps_the_previous_output()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("out.jsonl"), "previous\n");
        File.WriteAllBytes(temp.File("in.txt"), [.. "ok\n"u8, .. "also ok\n"u8, 0x61, 0xFF, 0x62, (byte)'\n']);
        var (code, _, err) = Run("--input", temp.File("in.txt"), "--output", temp.File("out.jsonl"));
        Assert.Equal(1, code);
        Assert.Contains($"{temp.File("in.txt")}: line 3: not valid UTF-8", err);
        Assert.Equal("previous\n", File.ReadAllText(temp.File("out.jsonl")));
        Assert.Equal(2, Directory.GetFiles(temp.Path).Length);
    }

    [Fact]
    public void A_jsonl_line_without_text_names_file_and_line()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("in.jsonl"), "{\"text\":\"a\"}\n{\"txt\":\"b\"}\n");
        var (code, _, err) = Run("--input", temp.File("in.jsonl"), "--output", temp.File("out.jsonl"));
        Assert.Equal(1, code);
        Assert.Contains("line 2: expected an object with a string \"text\"", err);
        Assert.False(File.Exists(temp.File("out.jsonl")));
    }

    [Fact]
    public void A_jsonl_line_that_is_not_json_names_file_and_line()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("in.jsonl"), "{\"text\": \"a\"\n");
        var (code, _, err) = Run("--input", temp.File("in.jsonl"), "--output", temp.File("out.jsonl"));
        Assert.Equal(1, code);
        Assert.Contains("line 1: not valid JSON", err);
    }

    [Fact]
    public void Texts_with_any_code_point_survive_the_round_trip_through_the_output()
    {
        using var temp = new TempFolder();
        string text = "tab\there \"quoted\" back\\slash \u0001 \u2028 😀 𠮷 end";
        File.WriteAllText(temp.File("in.jsonl"), JsonSerializer.Serialize(new { text }) + "\n", new UTF8Encoding(false));
        var (code, _, err) = Run("--input", temp.File("in.jsonl"), "--output", temp.File("out.jsonl"));
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(File.ReadAllText(temp.File("out.jsonl")));
        Assert.Equal(text, doc.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void A_missing_input_is_a_one_line_error()
    {
        var (code, _, err) = Run("--input", "/nonexistent/in.txt", "--output", "/tmp/never.jsonl");
        Assert.Equal(1, code);
        Assert.Equal("vlm tokenize: /nonexistent/in.txt: no such input file", err.Trim());
    }

    [Fact]
    public void A_missing_tokenizer_folder_is_a_one_line_error()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("in.txt"), "hi\n");
        var (code, _, err) = Run("--tokenizer", temp.File("none"), "--input", temp.File("in.txt"), "--output", temp.File("o.jsonl"));
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("no such tokenizer folder", err);
    }
}
