using TorchSharp;
using Vlm.Tests.TestSupport;
using Vlm.Tests.Trainers.Models;
using Vlm.Trainers.Features;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Training;

[Collection(TorchRandomCollection.Name)]
public class VlmTrainerTests : IDisposable
{
    readonly TempFolder _images = new();
    readonly TempFolder _output = new();

    public void Dispose()
    {
        _images.Dispose();
        _output.Dispose();
    }

    /// <summary>Colour rows (<see cref="ColourRows"/>); with <paramref name="varyLengths"/> every sixth prompt is longer, so a batch holding
    /// that row with two others is packed (the two short rows share one row of its width) and length grouping has lengths to sort.</summary>
    List<TrainingExample> Examples(int count, bool varyLengths = false) => ColourRows.Write(_images.Path, count, varyLengths ? 6 : 0);

    VlmTrainerOptions Options(TrainableParts parts) => new()
    {
        Train = parts, PerDeviceTrainBatchSize = 3, LearningRate = 3e-3, FeatureProjLr = 3e-3, MaxSteps = 40, WarmupSteps = 2,
        LoggingSteps = 10, SaveSteps = 1000, OutputDir = _output.Path, ImageRoot = _images.Path,
        LoraRank = 4, LoraAlpha = 8, TargetModules = "q_proj|v_proj|gate_proj|up_proj|down_proj",
    };

    VlmTrainer Trainer(VlmModel model, VlmTrainerOptions options, Action<int>? afterStep = null) =>
        new(model, options, new DecodedImages(VlmProcessor.ForImages(model.VisionTower.Config.ImageProcessor(null)), options.ImageRoot)) { AfterStep = afterStep };

    [Fact]
    public void Full_training_lowers_the_loss_and_answers_by_colour()
    {
        using var model = TinyModels.Vlm(seed: 2);
        var examples = Examples(9);
        var trainer = Trainer(model, Options(TrainableParts.Full));
        trainer.Train(examples);
        Assert.True(trainer.Log[^1].Loss < trainer.Log[0].Loss / 4, $"loss {trainer.Log[0].Loss} -> {trainer.Log[^1].Loss}");

        var batch = TrainingBatch.Create(examples.Take(3).Select(e => e with { InputIds = e.InputIds[..^2] }).ToList(),
            new DecodedImages(VlmProcessor.ForImages(model.VisionTower.Config.ImageProcessor(null)), _images.Path));
        var (ids, keep, _, pixels) = batch.ToTensors(CPU);
        var answers = AnswerGenerator.Generate(model, ids, keep, pixels, new GenerationOptions { MaxNewTokens = 1 });
        Assert.Equal([[10L], [11L], [12L]], answers);
    }

    [Fact]
    public void Lora_training_of_a_bfloat16_model_keeps_the_adapters_and_projector_in_float32_and_learns()
    {
        using var model = TinyModels.Vlm(seed: 2);
        model.to(bfloat16);
        var trainer = Trainer(model, Options(TrainableParts.ProjectorAndLora) with { LearningRate = 1e-2, FeatureProjLr = 1e-2 });
        trainer.Train(Examples(9));

        Assert.All(model.Projector.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var roles = Vlm.Trainers.Models.Modules.ParameterRoles.Of(model.LanguageModel);
        Assert.Contains(Vlm.Trainers.Models.Modules.ParameterRole.Adapter, roles.Values);
        foreach (var (name, parameter) in model.LanguageModel.named_parameters())
            Assert.True((roles[name] == Vlm.Trainers.Models.Modules.ParameterRole.Adapter ? ScalarType.Float32 : ScalarType.BFloat16) == parameter.dtype, $"{name} is {parameter.dtype}");
        Assert.All(model.VisionTower.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        Assert.True(trainer.Log[^1].Loss < trainer.Log[0].Loss / 2, $"loss {trainer.Log[0].Loss} -> {trainer.Log[^1].Loss}");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void A_run_killed_midway_and_resumed_ends_with_the_same_weights(bool groupByLength, bool packing)
    {
        var options = Options(TrainableParts.ProjectorAndLora) with
        {
            MaxSteps = 6, SaveSteps = 2, LoraDropout = 0.1, GroupByLength = groupByLength, Packing = packing,
        };
        var examples = Examples(6, varyLengths: groupByLength || packing);
        Tensor[] Weights(VlmModel m) => [.. m.named_parameters().Where(p => p.parameter.requires_grad).OrderBy(p => p.name).Select(p => p.parameter.detach().clone())];

        using var straight = TinyModels.Vlm(seed: 3);
        Trainer(straight, options with { OutputDir = Path.Combine(_output.Path, "a") }).Train(examples);

        string resumedDir = Path.Combine(_output.Path, "b");
        using (var killed = TinyModels.Vlm(seed: 3))
            Assert.Throws<OperationCanceledException>(() =>
                Trainer(killed, options with { OutputDir = resumedDir }, step => { if (step == 3) throw new OperationCanceledException(); }).Train(examples));
        Assert.True(Directory.Exists(Path.Combine(resumedDir, "checkpoint-2")));
        Assert.False(Directory.Exists(Path.Combine(resumedDir, "checkpoint-4")));
        using var resumed = TinyModels.Vlm(seed: 3);
        Trainer(resumed, options with { OutputDir = resumedDir }).Train(examples);

        var a = Weights(straight);
        var b = Weights(resumed);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(0f, (a[i] - b[i]).abs().max().item<float>());
    }

    [Fact]
    public void Checkpoints_keep_only_the_newest_save_total_limit()
    {
        using var model = TinyModels.Vlm(seed: 4);
        Trainer(model, Options(TrainableParts.Projector) with { MaxSteps = 5, SaveSteps = 1, SaveTotalLimit = 2 }).Train(Examples(3));
        Assert.Equal(["checkpoint-4", "checkpoint-5"], Directory.GetDirectories(_output.Path, "checkpoint-*").Select(Path.GetFileName).Order());
        Assert.True(File.Exists(Path.Combine(_output.Path, "checkpoint-5", "projector.safetensors")));
    }

    [Fact]
    public void A_checkpoint_that_cannot_be_written_leaves_the_previous_one_intact_and_says_so()
    {
        using var disk = new SmallDisk();
        var options = Options(TrainableParts.ProjectorAndLora) with { MaxSteps = 6, SaveSteps = 2, OutputDir = disk.Path };
        var examples = Examples(6);
        using (var model = TinyModels.Vlm(seed: 5))
        {
            var e = Assert.Throws<IOException>(() => Trainer(model, options, step =>
            {
                if (step != 2) return;
                // After the first checkpoint: the disk is full (or, without a small disk to fill, the next checkpoint's folder is taken by a file).
                if (disk.IsSmall) disk.Fill(bytesLeft: 2048);
                else File.WriteAllText(Path.Combine(disk.Path, "checkpoint-4.tmp"), "");
            }).Train(examples));
            Assert.Contains("checkpoint-4: the checkpoint could not be written", e.Message);
            Assert.Contains($"{Path.Combine(disk.Path, "checkpoint-2")}, is intact", e.Message);
        }
        Assert.Equal(["checkpoint-2"], Directory.GetDirectories(disk.Path, "checkpoint-*").Select(Path.GetFileName));
        if (disk.IsSmall) Assert.False(Path.Exists(Path.Combine(disk.Path, "checkpoint-4.tmp"))); // the partial folder's space is given back

        File.Delete(disk.IsSmall ? Path.Combine(disk.Path, "filler") : Path.Combine(disk.Path, "checkpoint-4.tmp"));
        using var resumed = TinyModels.Vlm(seed: 5);
        Trainer(resumed, options).Train(examples);
        Assert.True(Directory.Exists(Path.Combine(disk.Path, "checkpoint-6")));
    }

    [Fact]
    public void Conflicting_options_are_refused_before_any_work()
    {
        using var model = TinyModels.Vlm();
        var e = Assert.Throws<ArgumentException>(() => Trainer(model, Options(TrainableParts.Full) with { MaxSteps = -1, NumTrainEpochs = 0 }).Train(Examples(1)));
        Assert.Contains("nothing to train", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_output.Path));
    }
}
