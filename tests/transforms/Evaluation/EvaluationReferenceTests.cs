using System.Text.Json;
using Vlm.Transforms.Evaluation;

namespace Vlm.Tests.Transforms.Evaluation;

/// <summary>
/// The metrics against the reference implementations' own numbers (tests/data/evaluation/expected.json,
/// written by tests/reference/evaluation/make_expected.py running pycocoevalcap and VQA's vqaEval.py):
/// perfect matches, an empty prediction, no overlap, repeated n-grams, one and five references,
/// Chinese characters, a random set; VQA answers with numbers, articles, punctuation, contractions.
/// </summary>
public class EvaluationReferenceTests
{
    static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", "evaluation", name);
    static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(Data("expected.json"))).RootElement;

    public static TheoryData<string> CaptionSets() => [.. File.ReadLines(Data("captions.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("name").GetString()!)];

    [Theory]
    [MemberData(nameof(CaptionSets))]
    public void Caption_metrics_equal_pycocoevalcaps(string name)
    {
        var set = File.ReadLines(Data("captions.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).Single(e => e.GetProperty("name").GetString() == name);
        var samples = set.GetProperty("samples").EnumerateArray().Select((s, i) => new CaptionSample(i.ToString(),
            s.GetProperty("prediction").GetString()!, [.. s.GetProperty("references").EnumerateArray().Select(r => r.GetString()!)])).ToList();
        var expected = Expected.GetProperty("caption_sets").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        foreach (var (metric, value) in CaptionMetrics.Score(samples).Named())
            Assert.True(Math.Abs(expected.GetProperty(metric).GetDouble() - value) <= 1e-9, $"{name} {metric}: {value} vs pycocoevalcap's {expected.GetProperty(metric).GetDouble()}");
    }

    [Fact]
    public void Vqa_accuracy_equals_the_official_evaluations_per_question_and_overall()
    {
        var questions = File.ReadLines(Data("vqa.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(q => (Prediction: q.GetProperty("prediction").GetString()!, Answers: (IReadOnlyList<string>)[.. q.GetProperty("references").EnumerateArray().Select(a => a.GetString()!)])).ToList();
        var expected = Expected.GetProperty("vqa");
        var perQuestion = expected.GetProperty("per_question").EnumerateArray().Select(e => e.GetDouble()).ToList();
        for (int i = 0; i < questions.Count; i++)
            Assert.True(Math.Abs(perQuestion[i] - VqaAccuracy.Score(questions[i].Prediction, questions[i].Answers)) <= 1e-12, $"question {i}: {questions[i].Prediction}");
        Assert.Equal(expected.GetProperty("overall_percent_2dp").GetDouble(), Math.Round(100 * VqaAccuracy.Mean(questions), 2));
    }
}
