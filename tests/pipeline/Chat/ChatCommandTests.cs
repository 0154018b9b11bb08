using Microsoft.ML;
using Vlm.Pipeline.Chat;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;

namespace Vlm.Tests.Pipeline.Chat;

/// <summary>vlm chat: a conversation typed at the terminal, checked against the model's own answers.</summary>
[Collection(TorchRandomCollection.Name)]
public class ChatCommandTests : IDisposable
{
    readonly TempFolder _root = new();
    readonly string _model, _image;

    public ChatCommandTests()
    {
        _model = TestModels.WriteModelFolder(_root.Path);
        _image = _root.File("shape.png");
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Each_answer_continues_the_conversation_about_the_image_and_bad_commands_do_not_end_it()
    {
        const string first = "What shape is in the image?", second = "What colour is it?";
        var generation = new GenerationOptions { MaxNewTokens = 6 };
        string answer1, answer2, answer2Alone, textOnly;
        using (var model = new MLContext().Vlm().LoadFolder(_model))
        {
            answer1 = model.Predictor.Answer(new VlmInput { Image = _image, Prompt = first }, generation: generation);
            answer2 = model.Predictor.Answer(new VlmInput { Image = _image, Prompt = second, History = [first, answer1] }, generation: generation);
            answer2Alone = model.Predictor.Answer(new VlmInput { Image = _image, Prompt = second }, generation: generation);
            textOnly = model.Predictor.Answer(new VlmInput { Prompt = second }, generation: generation);
        }
        // Otherwise the test could not tell a conversation from separate questions, or an image from none.
        Assert.NotEqual(answer2Alone, answer2);
        Assert.NotEqual(answer2Alone, textOnly);

        string typed = string.Join('\n', first, "/image " + _root.File("missing.png"), second, "/bogus", "/image", second, "/exit", "never read");
        var chat = new ChatCommand(new StringReader(typed));
        var (code, output, error) = CommandHarness.Run(chat, "--weights", _model, "--image", _image, "--max_new_tokens", "6");

        Assert.True(code == 0, output + error);
        Assert.Contains("vlm> " + answer1 + Environment.NewLine, output);
        Assert.Contains("missing.png: no such image file", output);
        Assert.Contains("vlm> " + answer2 + Environment.NewLine, output);
        Assert.Contains("error: unknown command /bogus", output);
        Assert.Contains("(new conversation without an image)", output);
        Assert.Contains("vlm> " + textOnly + Environment.NewLine, output);
        Assert.Equal(3, output.Split("vlm> ").Length - 1);
    }

    [Fact]
    public void End_of_input_ends_the_chat_and_a_missing_model_is_a_usage_error()
    {
        var (code, output, _) = CommandHarness.Run(new ChatCommand(new StringReader("")), "--weights", _model);
        Assert.Equal(0, code);
        Assert.Contains(ChatSession.Help, output);

        var missing = CommandHarness.Run(new ChatCommand(new StringReader("")), "--weights", _root.File("nope"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("nope: no such model folder", missing.Err);
    }
}
