using Microsoft.ML;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;

namespace Vlm.Tests.Trainers.Estimator;

/// <summary>Generation options and streaming as a library user reaches them on the transformer.</summary>
[Collection(TorchRandomCollection.Name)]
public class VlmGenerationApiTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Options_bound_every_answer_and_streamed_pieces_add_up_to_the_answer()
    {
        using var model = new MLContext().Vlm().LoadFolder(TestModels.WriteModelFolder(_root.Path));
        var input = new VlmInput { Image = _root.File("shape.png"), Prompt = "What shape?" };
        model.Generation = new GenerationOptions { MaxNewTokens = 3 };
        string shortAnswer = model.Answer(input);
        string longer = model.Answer(input, new GenerationOptions { MaxNewTokens = 12 });
        Assert.StartsWith(shortAnswer, longer);
        Assert.True(longer.Length > shortAnswer.Length, $"'{shortAnswer}' vs '{longer}'");
        // Prediction engines and Transform use the same options.
        var engine = new MLContext().Model.CreatePredictionEngine<VlmInput, VlmOutput>(model);
        Assert.Equal(shortAnswer, engine.Predict(input).Answer);

        var pieces = new List<string>();
        await foreach (var piece in model.AnswerStreaming(input, new GenerationOptions { MaxNewTokens = 12 })) pieces.Add(piece);
        Assert.True(pieces.Count > 1);
        Assert.Equal(longer, string.Concat(pieces));
    }

    sealed class Question
    {
        [Microsoft.ML.Data.ColumnName("image")] public string Image { get; set; } = "";
        [Microsoft.ML.Data.ColumnName("prompt")] public string Prompt { get; set; } = "";
    }

    sealed class PromptOnly
    {
        [Microsoft.ML.Data.ColumnName("prompt")] public string Prompt { get; set; } = "";
    }

    sealed class Answered
    {
        [Microsoft.ML.Data.ColumnName("answer")] public string Answer { get; set; } = "";
    }

    [Fact]
    public void Transform_takes_a_view_with_only_the_columns_that_matter()
    {
        var ml = new MLContext();
        using var model = ml.Vlm().LoadFolder(TestModels.WriteModelFolder(_root.Path));
        model.Generation = new GenerationOptions { MaxNewTokens = 3 };
        var withImage = ml.Data.LoadFromEnumerable(new[] { new Question { Image = _root.File("shape.png"), Prompt = "What shape?" } });
        var answers = ml.Data.CreateEnumerable<Answered>(model.Transform(withImage), reuseRowObject: false).ToList();
        Assert.Equal(model.Answer(new VlmInput { Image = _root.File("shape.png"), Prompt = "What shape?" }), Assert.Single(answers).Answer);

        var textOnly = ml.Data.LoadFromEnumerable(new[] { new PromptOnly { Prompt = "Hello?" } });
        Assert.Equal(model.Answer(new VlmInput { Prompt = "Hello?" }), Assert.Single(ml.Data.CreateEnumerable<Answered>(model.Transform(textOnly), reuseRowObject: false)).Answer);
        Assert.NotNull(model.GetOutputSchema(textOnly.Schema).GetColumnOrNull("answer"));
    }
}
