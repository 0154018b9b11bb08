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
}
