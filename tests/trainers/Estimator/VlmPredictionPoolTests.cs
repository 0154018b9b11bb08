using Microsoft.ML;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;

namespace Vlm.Tests.Trainers.Estimator;

/// <summary>One model answering many threads: an engine per thread, or the pool; every answer its own question's.</summary>
[Collection(TorchRandomCollection.Name)]
public class VlmPredictionPoolTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Engines_per_thread_and_the_pool_give_each_question_its_own_answer()
    {
        var ml = new MLContext();
        using var model = ml.Vlm().LoadFolder(TestModels.WriteModelFolder(_root.Path));
        model.Generation = new GenerationOptions { MaxNewTokens = 4 };
        var questions = Enumerable.Range(0, 8).Select(i => new VlmInput { Image = i % 2 == 0 ? _root.File("shape.png") : "", Prompt = $"Question {i}?" }).ToList();
        var expected = questions.Select(q => model.Answer(q)).ToList();
        Assert.True(expected.Distinct().Count() > 1, "the questions must get different answers for the check to mean anything");

        var perThread = await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            var engine = ml.Model.CreatePredictionEngine<VlmInput, VlmOutput>(model);
            return Enumerable.Range(0, 16).Select(k => (k % 8, engine.Predict(questions[k % 8]).Answer)).ToList();
        })));
        Assert.All(perThread.SelectMany(r => r), r => Assert.Equal(expected[r.Item1], r.Answer));

        var pool = new VlmPredictionPool(ml, model);
        var pooled = await Task.WhenAll(Enumerable.Range(0, 32).Select(k => Task.Run(() => (k % 8, pool.Predict(questions[k % 8]).Answer))));
        Assert.All(pooled, r => Assert.Equal(expected[r.Item1], r.Answer));
    }
}
