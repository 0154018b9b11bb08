using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Demo;

namespace Vlm.Pipeline.Commands;

/// <summary>
/// <c>vlm demo</c>: builds the embedded synthetic dataset, runs the ETL, trains a tiny model on the
/// CPU and reports exact-answer accuracy on held-out images. Exit 0 when the accuracy reaches the
/// target, 1 when it does not.
/// </summary>
internal sealed class DemoCommand : ICommand
{
    public const double Target = 0.9;

    public string Name => "demo";
    public string Summary => "train a tiny model on built-in shape images end to end and report held-out accuracy (no downloads)";
    public string Example => "vlm demo   (or, longer: vlm demo --steps 16000 --train_images 6000; bigger: --hidden 128 --layers 6)";

    static readonly DemoOptions Defaults = new();

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("output", "folder for the data, shards, models and checkpoints (replaced)", Default: Defaults.Output),
        new("train_images", "training images", Default: Defaults.TrainImages.ToString()),
        new("test_images", "held-out images", Default: Defaults.TestImages.ToString()),
        new("steps", "optimizer steps", Default: Defaults.Steps.ToString()),
        new("batch_size", "examples per step", Default: Defaults.BatchSize.ToString()),
        new("hidden", "hidden size of both tiny models", Default: Defaults.Hidden.ToString()),
        new("layers", "layers of the tiny LLM", Default: Defaults.Layers.ToString()),
        new("vision_layers", "layers of the tiny vision tower", Default: Defaults.VisionLayers.ToString()),
        new("seed", "random seed", Default: Defaults.Seed.ToString()),
        new("learning_rate", "peak learning rate (cosine schedule)", Default: Defaults.LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("image_size", "vision tower input size", Default: Defaults.ImageSize.ToString()),
        new("patch_size", "vision tower patch size", Default: Defaults.PatchSize.ToString()),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        var options = new DemoOptions
        {
            Output = args.Value("output") ?? Defaults.Output,
            TrainImages = Positive(args, "train_images", Defaults.TrainImages),
            TestImages = Positive(args, "test_images", Defaults.TestImages),
            Steps = Positive(args, "steps", Defaults.Steps),
            BatchSize = Positive(args, "batch_size", Defaults.BatchSize),
            Hidden = Positive(args, "hidden", Defaults.Hidden),
            Layers = Positive(args, "layers", Defaults.Layers),
            VisionLayers = Positive(args, "vision_layers", Defaults.VisionLayers),
            Seed = args.Int("seed", Defaults.Seed),
            LearningRate = args.Double("learning_rate", Defaults.LearningRate),
            ImageSize = Positive(args, "image_size", Defaults.ImageSize),
            PatchSize = Positive(args, "patch_size", Defaults.PatchSize),
        };
        if (options.ImageSize % options.PatchSize != 0) throw new UsageException("--image_size must be a multiple of --patch_size");
        if (options.Hidden % 4 != 0) throw new UsageException("--hidden must be a multiple of 4 (4 attention heads)");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        DemoResult result;
        using (var progress = ProgressReporter.Create(output, "steps", options.Steps, logEvery: 0))
            result = DemoRun.Run(options, progress.WriteLine, (step, _) => progress.Report(step));
        output.WriteLine($"time       {clock.Elapsed.TotalSeconds:F0} s; exact answers on {result.Total} held-out images: {(result.Accuracy >= Target ? "target" : "below the target of")} {Target:P0}");
        output.WriteLine($"accuracy: {result.Accuracy:F2} ({result.Correct}/{result.Total})");
        output.WriteLine($"sample: {result.SampleImage}  Q: {result.SampleQuestion}  A: {result.SampleAnswer}");
        var (data, training, evaluation) = result.Seconds;
        output.WriteLine($"phases     data and shards {data:F0} s, training {training:F0} s, answering the held-out images {evaluation:F0} s");
        output.WriteLine($"work       training + answering = {(training + evaluation) * result.ReferenceFlops / 1e12:F2} TFLOP of the reference GEMM ({(training + evaluation):F0} s x {result.ReferenceFlops / 1e9:F1} GFLOP/s, the mean of {result.Reference.Before / 1e9:F1} before training and {result.Reference.After / 1e9:F1} after answering): compare runs on other days or machines by this figure, not by seconds");
        output.WriteLine($"answers    {result.AnswersFile} (image, expected, answer)");
        output.WriteLine($"model      {result.ModelFolder}");
        output.WriteLine($"chat       vlm chat --weights {result.ModelFolder} --image {result.SampleImage}");
        return result.Accuracy >= Target ? ExitCodes.Ok : ExitCodes.Failed;
    }

    static int Positive(CommandLine args, string name, int fallback)
    {
        int value = args.Int(name, fallback);
        return value > 0 ? value : throw new UsageException($"--{name} must be positive");
    }
}
