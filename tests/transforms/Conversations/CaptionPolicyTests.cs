using Vlm.Datasets.Sources;
using Vlm.Transforms.Conversations;

namespace Vlm.Tests.Transforms.Conversations;

public class CaptionPolicyTests
{
    static readonly CaptionRecord Captions = new("8f00.jpg", "8f00.jpg", ["一", "二", "三", "四", "五"]);

    [Fact]
    public void Builds_one_question_with_an_original_prompt_and_one_of_the_captions()
    {
        var conversation = new CaptionPolicy().ToConversation(Captions);
        Assert.Equal(2, conversation.Turns.Count);
        string question = conversation.Turns[0].Text;
        Assert.Contains(CaptionPolicy.AiChallengerPrompts, p => question == "<image>" + p || question == p + "<image>");
        Assert.Contains(conversation.Turns[1].Text, Captions.Captions);
        Assert.Equal("8f00.jpg", conversation.Image);
    }

    [Fact]
    public void The_same_seed_and_id_give_the_same_choices_whatever_the_order()
    {
        var policy = new CaptionPolicy { Seed = 7 };
        Assert.Equal(policy.ToConversation(Captions).Turns, policy.ToConversation(Captions).Turns);
    }

    [Fact]
    public void Across_many_records_every_caption_prompt_and_image_position_is_used()
    {
        var policy = new CaptionPolicy();
        var conversations = Enumerable.Range(0, 400).Select(i => policy.ToConversation(Captions with { Id = $"img{i}.jpg" })).ToList();
        Assert.Equal(5, conversations.Select(c => c.Turns[1].Text).Distinct().Count());
        Assert.Equal(4, conversations.Select(c => c.Turns[0].Text).Distinct().Count());
    }

    [Fact]
    public void Another_seed_makes_other_choices()
    {
        var a = Enumerable.Range(0, 50).Select(i => new CaptionPolicy { Seed = 1 }.ToConversation(Captions with { Id = $"{i}" }).Turns[1].Text);
        var b = Enumerable.Range(0, 50).Select(i => new CaptionPolicy { Seed = 2 }.ToConversation(Captions with { Id = $"{i}" }).Turns[1].Text);
        Assert.NotEqual(a, b);
    }
}
