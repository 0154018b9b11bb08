using System.Text.Json;
using Vlm.Datasets.Tokenizers;
using Vlm.Pipeline.Commands;
using Vlm.Pipeline.Demo;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Demo;

/// <summary>The demo's whole path at a size that runs in seconds (the accuracy target needs the full size: see `vlm demo`).</summary>
[Collection(TorchRandomCollection.Name)]
public class DemoRunTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void A_small_demo_runs_the_etl_trains_and_scores_every_held_out_image()
    {
        var lines = new List<string>();
        var steps = new List<int>();
        var result = DemoRun.Run(new DemoOptions
        {
            Output = _root.File("demo"), TrainImages = 12, TestImages = 5, Steps = 3, BatchSize = 4, Hidden = 16, Layers = 1, ImageSize = 16, PatchSize = 8,
        }, lines.Add, (step, total) => steps.Add(step));

        Assert.Equal(5, result.Total);
        Assert.InRange(result.Correct, 0, 5);
        Assert.Equal([1, 2, 3], steps);
        Assert.Contains(lines, l => l.StartsWith("etl        24 rows", StringComparison.Ordinal)); // 12 LLaVA + 12 AI Challenger
        Assert.True(File.Exists(result.SampleImage));
        // The tower is frozen: its features of the distinct training images were cached once and training read them.
        Assert.True(File.Exists(_root.File("demo/features/features.json")));
        Assert.Contains(lines, l => l.StartsWith("features   the frozen tower's features of the ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("training   ", StringComparison.Ordinal) && l.Contains($"cpu_replicas {Math.Clamp(Environment.ProcessorCount, 1, 4)}", StringComparison.Ordinal));
        // What trained is saved (the LLM and projector); the frozen tower is the base folder the model names.
        Assert.True(File.Exists(_root.File("demo/output/model/projector.safetensors")));
        Assert.False(Directory.Exists(_root.File("demo/output/model/vision_tower")));
        Assert.Contains("\"vision\": \"../../models/vision\"", File.ReadAllText(_root.File("demo/output/model/vlm.json")));
        // What the closing lines point to exists: the answers (a header and one line per held-out image) and the model for vlm chat.
        Assert.Equal(6, File.ReadAllLines(result.AnswersFile).Length);
        Assert.True(File.Exists(Path.Combine(result.ModelFolder, "vlm.json")));
        Assert.True(result.Seconds.Data > 0 && result.Seconds.Training > 0 && result.Seconds.Evaluation > 0);
        // The speed reference: measured before training (printed) and after answering; the run is rated by their mean.
        Assert.InRange(result.Reference.Before, 1e8, 1e13);
        Assert.InRange(result.Reference.After, 1e8, 1e13);
        Assert.Equal((result.Reference.Before + result.Reference.After) / 2, result.ReferenceFlops);
        Assert.Contains(lines, l => l.StartsWith("reference  ", StringComparison.Ordinal) && l.Contains("GFLOP/s of bare fp32 GEMM", StringComparison.Ordinal));
        // The tiny LLM's vocabulary is Qwen2's trimmed to the demo's texts, and its head has one row per token.
        var tokenizer = QwenTokenizer.Load(_root.File("demo/models/llm"));
        using var config = JsonDocument.Parse(File.ReadAllBytes(_root.File("demo/models/llm/config.json")));
        Assert.Equal(tokenizer.VocabularySize, config.RootElement.GetProperty("vocab_size").GetInt32());
        Assert.InRange(tokenizer.VocabularySize, 300, 1000);
        Assert.Contains(lines, l => l.Contains($"trimmed to the {tokenizer.VocabularySize} tokens", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_demo_options_are_usage_errors()
    {
        var result = CommandHarness.Run(new DemoCommand(), "--image_size", "30", "--patch_size", "8");
        Assert.Equal(2, result.Code);
        Assert.Contains("multiple of --patch_size", result.Err);
    }
}
