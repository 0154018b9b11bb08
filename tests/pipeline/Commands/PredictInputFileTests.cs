using System.Text.Json;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Commands;

/// <summary><c>vlm predict --input questions.jsonl --output answers.jsonl</c>: batched answers equal to asking one at a time, bad lines named.</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class PredictInputFileTests : IDisposable
{
    readonly TempFolder _root = new();
    readonly string _model;

    public PredictInputFileTests() => _model = TestModels.WriteModelFolder(_root.Path);

    public void Dispose() => _root.Dispose();

    [Fact]
    public void A_questions_file_is_answered_in_batches_as_one_at_a_time()
    {
        File.WriteAllLines(_root.File("questions.jsonl"),
        [
            """{"id": "a", "image": "shape.png", "prompt": "What shape?"}""",
            """{"id": "b", "prompt": "Say something."}""",
            "",
            """{"id": "c", "image": "shape.png", "prompt": "What colour is it, and where?", "history": ["Hi.", "Hello."]}""",
        ]);
        var run = CommandHarness.Run(new PredictCommand(), "--weights", _model, "--input", _root.File("questions.jsonl"), "--output", _root.File("answers.jsonl"),
            "--batch_size", "2", "--max_new_tokens", "8");
        Assert.True(run.Code == 0, run.Out + run.Err);
        var answers = File.ReadAllLines(_root.File("answers.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["a", "b", "c"], answers.Select(a => a.GetProperty("id").GetString()));

        var single = CommandHarness.Run(new PredictCommand(), "--weights", _model, "--image", _root.File("shape.png"), "--prompt", "What shape?", "--max_new_tokens", "8");
        Assert.Equal(single.Out.TrimEnd('\n', '\r'), answers[0].GetProperty("answer").GetString());
    }

    [Fact]
    public void A_bad_line_is_named_before_any_model_is_loaded()
    {
        File.WriteAllLines(_root.File("questions.jsonl"), ["""{"id": "a", "prompt": "ok"}""", """{"id": "b", "image": "missing.png", "prompt": "?"}"""]);
        var run = CommandHarness.Run(new PredictCommand(), "--weights", _model, "--input", _root.File("questions.jsonl"), "--output", _root.File("answers.jsonl"));
        Assert.Equal(1, run.Code);
        Assert.Contains("questions.jsonl, line 2: image", run.Err);
        Assert.False(File.Exists(_root.File("answers.jsonl")));
    }
}
