using Vlm.Datasets.Tokenizers;

namespace Vlm.Tests.Datasets.Tokenizers;

public class QwenPreTokenizerTests
{
    static string[] Pieces(string text) =>
        SplitPreTokenizer.Qwen.Split(text).Select(p => text.Substring(p.Offset, p.Length)).ToArray();

    [Theory]
    [InlineData("Hello world!", new[] { "Hello", " world", "!" })]
    [InlineData("a   b", new[] { "a", "  ", " b" })]
    [InlineData("x  ", new[] { "x", "  " })]
    [InlineData("it's I'LL we'RE", new[] { "it", "'s", " I", "'LL", " we", "'RE" })]
    [InlineData("abc123", new[] { "abc", "1", "2", "3" })]
    [InlineData("line\n\n  next", new[] { "line", "\n\n", " ", " next" })]
    [InlineData("a \n b", new[] { "a", " \n", " b" })]
    [InlineData("...\n\nok", new[] { "...\n\n", "ok" })]
    [InlineData(" ?? x", new[] { " ??", " x" })]
    [InlineData("\t\tx", new[] { "\t", "\tx" })]
    [InlineData("这幅图像，很好。", new[] { "这幅图像", "，很好", "。" })]
    public void Splits_as_the_qwen_pattern(string text, string[] expected) => Assert.Equal(expected, Pieces(text));

    [Fact]
    public void Letters_outside_the_basic_plane_stay_in_one_word()
    {
        // .NET's Regex sees surrogate halves here and would split between them.
        Assert.Equal(new[] { "𠮷野家", " 𝐀𝐁𝐂" }, Pieces("𠮷野家 𝐀𝐁𝐂"));
    }

    [Fact]
    public void Numbers_outside_the_basic_plane_are_single_pieces()
    {
        Assert.Equal(new[] { "𝟏", "𝟐" }, Pieces("𝟏𝟐"));
    }

    [Fact]
    public void An_emoji_before_letters_is_their_optional_prefix()
    {
        Assert.Equal(new[] { "😀abc" }, Pieces("😀abc"));
    }

    [Fact]
    public void Pieces_cover_the_text_exactly()
    {
        const string text = " mixed 中文\t\n😀👨‍👩‍👧 'S \u3000x\u00A0y 12 ";
        var pieces = SplitPreTokenizer.Qwen.Split(text);
        Assert.Equal(text.Length, pieces.Sum(p => p.Length));
        Assert.Equal(text, string.Concat(pieces.Select(p => text.Substring(p.Offset, p.Length))));
    }

    [Fact]
    public void A_lone_surrogate_is_a_symbol_not_an_error()
    {
        Assert.Equal(new[] { "a", "\uD800", " b" }, Pieces("a\uD800 b"));
    }
}
