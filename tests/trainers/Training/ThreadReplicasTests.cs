using Vlm.Tests.TestSupport;
using Vlm.Tests.Trainers.Models;
using Vlm.Trainers.Features;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Training;

/// <summary>cpu_replicas: model copies on threads of their own, each on a share of every micro-batch.</summary>
[Collection(TorchRandomCollection.Name)]
public class ThreadReplicasTests : IDisposable
{
    readonly TempFolder _images = new();
    readonly TempFolder _output = new();

    public void Dispose()
    {
        _images.Dispose();
        _output.Dispose();
    }

    /// <summary>Colour rows, every fifth prompt longer, so the copies' shares pad to different lengths.</summary>
    List<TrainingExample> Examples(int count) => ColourRows.Write(_images.Path, count, longEvery: 5);

    VlmTrainerOptions Options(string run, TrainableParts parts, int replicas) => new()
    {
        Train = parts, TrainVisionTower = parts == TrainableParts.Full, LoraDropout = 0, LoraRank = 4, LoraAlpha = 8, TargetModules = "q_proj|v_proj|down_proj",
        PerDeviceTrainBatchSize = 5, GradientAccumulationSteps = 2, LearningRate = 3e-3, FeatureProjLr = 3e-3, MaxSteps = 6, WarmupSteps = 1,
        LoggingSteps = 1, SaveSteps = 1000, OutputDir = Path.Combine(_output.Path, run), ImageRoot = _images.Path, CpuReplicas = replicas,
    };

    (Dictionary<string, Tensor> Weights, IReadOnlyList<LogEntry> Log) Train(VlmTrainerOptions options, List<TrainingExample> examples, Action<int>? afterStep = null, int seed = 3)
    {
        using var model = TinyModels.Vlm(seed: seed);
        var trainer = new VlmTrainer(model, options, new DecodedImages(VlmProcessor.ForImages(model.VisionTower.Config.ImageProcessor(null)), options.ImageRoot)) { AfterStep = afterStep };
        trainer.Train(examples);
        return (model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.detach().clone()), trainer.Log);
    }

    [Theory]
    [InlineData(TrainableParts.Full, 2)]
    [InlineData(TrainableParts.Full, 3)]
    [InlineData(TrainableParts.ProjectorAndLora, 2)]
    public void Copies_on_threads_train_to_the_weights_of_one_model(TrainableParts parts, int replicas)
    {
        var examples = Examples(20);
        var (one, oneLog) = Train(Options("one", parts, 1), examples);
        var (copies, copiesLog) = Train(Options("copies", parts, replicas), examples);

        Assert.Equal(one.Keys.Order(), copies.Keys.Order());
        Assert.Contains(one.Keys, k => k.StartsWith(parts == TrainableParts.Full ? "vision_tower." : "language_model.", StringComparison.Ordinal));
        foreach (var (name, weight) in one)
        {
            double difference = (weight - copies[name]).abs().max().item<float>();
            Assert.True(difference < 1e-5, $"{name} differs by {difference}");
        }
        // The weights moved (six steps at 3e-3), so equal weights are not two untrained models.
        Assert.Equal(oneLog.Select(e => e.Loss), copiesLog.Select(e => e.Loss), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.True(oneLog[^1].Loss < oneLog[0].Loss, $"loss {oneLog[0].Loss} -> {oneLog[^1].Loss}");
    }

    [Fact]
    public void Runs_with_copies_and_one_seed_end_with_identical_weights_also_when_resumed()
    {
        var examples = Examples(20);
        var (first, _) = Train(Options("first", TrainableParts.Full, 2), examples);
        var (second, _) = Train(Options("second", TrainableParts.Full, 2), examples);
        var resumedOptions = Options("resumed", TrainableParts.Full, 2) with { SaveSteps = 2 };
        Assert.Throws<OperationCanceledException>(() => Train(resumedOptions, examples, step => { if (step == 3) throw new OperationCanceledException(); }));
        var (resumed, _) = Train(resumedOptions, examples);

        foreach (var (name, weight) in first)
        {
            Assert.Equal(0f, (weight - second[name]).abs().max().item<float>());
            Assert.Equal(0f, (weight - resumed[name]).abs().max().item<float>());
        }
    }

    [Fact]
    public void Copies_are_refused_where_they_cannot_train_as_one_model()
    {
        var examples = Examples(6);
        var dropout = Assert.Throws<ArgumentException>(() => Train(Options("dropout", TrainableParts.ProjectorAndLora, 2) with { LoraDropout = 0.1 }, examples));
        Assert.Contains("lora_dropout", dropout.Message);
        var tooMany = Assert.Throws<ArgumentException>(() => Train(Options("many", TrainableParts.Full, 6), examples));
        Assert.Contains("fewer rows than copies", tooMany.Message);
        var none = Assert.Throws<ArgumentException>(() => Train(Options("none", TrainableParts.Full, 0), examples));
        Assert.Contains("cpu_replicas must be at least 1", none.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_output.Path));
    }

    [Fact]
    public void Training_with_copies_leaves_the_intra_op_threads_as_they_were()
    {
        int before = get_num_threads();
        Train(Options("threads", TrainableParts.Full, 2) with { MaxSteps = 1 }, Examples(5));
        Assert.Equal(before, get_num_threads());
    }
}
