using Vlm.Transforms.Evaluation;

namespace Vlm.Tests.Transforms.Evaluation;

/// <summary>The documented caption tokenizations: COCO-style words and Chinese characters.</summary>
public class CaptionTokenizerTests
{
    [Theory]
    [InlineData("A dog's ball.", "a dog 's ball")]
    [InlineData("Don't (stop) -- now!", "do n't stop now")]
    [InlineData("  Two  people,\nriding \"horses\"...", "two people riding horses")]
    [InlineData("A t-shirt costs $3.50; 1,000 of them", "a t-shirt costs $ 3.50 1,000 of them")]
    [InlineData("They're here, we've gone, I'm fine, you'll see, he'd go", "they 're here we 've gone i 'm fine you 'll see he 'd go")]
    [InlineData("", "")]
    public void Words_are_lower_cased_with_clitics_split_and_cocos_punctuation_dropped(string text, string expected) =>
        Assert.Equal(expected, CaptionTokenizer.Tokenize(text, CaptionTokenization.Words));

    [Theory]
    [InlineData("一个红色的圆。", "一 个 红 色 的 圆")]
    [InlineData("两个人，在 草地上！", "两 个 人 在 草 地 上")]
    [InlineData("A红色", "a 红 色")]
    public void Chars_are_one_token_each_without_spaces_or_punctuation(string text, string expected) =>
        Assert.Equal(expected, CaptionTokenizer.Tokenize(text, CaptionTokenization.Chars));
}
