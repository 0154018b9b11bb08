using Vlm.Datasets.Sources;

namespace Vlm.Tests.Datasets.Sources;

/// <summary>The one rule for an untagged image, shared by the ETL and prediction.</summary>
public class ImageTagRuleTests
{
    static ConversationRecord Record(string? image, params string[] turns) =>
        new("r", image, [.. turns.Select((t, i) => new Turn(i % 2 == 0 ? Speaker.Human : Speaker.Assistant, t))]);

    [Fact]
    public void An_untagged_image_goes_before_the_first_question_with_a_newline()
    {
        var tagged = Record("a.jpg", "What is it?", "A cat.", "Sure?", "Yes.").WithImageTag();
        Assert.Equal("<image>\nWhat is it?", tagged.Turns[0].Text);
        Assert.Equal("Sure?", tagged.Turns[2].Text);
    }

    [Fact]
    public void A_tagged_record_and_a_text_only_one_stay_as_they_are()
    {
        var tagged = Record("a.jpg", "Look: <image>", "A dog.");
        Assert.Same(tagged, tagged.WithImageTag());
        var text = Record(null, "Hi.", "Hello.");
        Assert.Same(text, text.WithImageTag());
    }

    [Fact]
    public void A_tag_without_an_image_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Record(null, "<image> what?", "Nothing.").WithImageTag());
        Assert.Contains("<image> tag but no image", e.Message);
    }
}
