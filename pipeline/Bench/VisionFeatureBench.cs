using System.Diagnostics;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Features;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Qwen2;
using Vlm.Trainers.Models.Vision;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// A frozen tower's features read from <c>vlm cache-features</c>' cache against decoding each image and
/// running the tower every step: seconds per training step (the batch's images made, loss, backward,
/// AdamW on the LLM) with each, on the demo's shapes (its 2-layer 64-px CLIP) and on the bench model
/// with a ViT-B/16-sized tower at 256 px (256 features: the step shape's image tokens), on 640x480 JPEGs.
/// Then the trainer itself on the same rows: the share of its time spent waiting for batches, with the
/// images decoded by its two background workers against decoding each batch when its step needs it.
/// </summary>
internal static class VisionFeatureBench
{
    public static IEnumerable<BenchRow> Run(string work, StepShape bench, bool quick, Action<string> log)
    {
        var demoTower = new VisionConfig { Kind = VisionKind.Clip, HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, ImageSize = 64, PatchSize = 8 };
        var benchTower = quick
            ? new VisionConfig { Kind = VisionKind.Clip, HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, ImageSize = 32, PatchSize = 8 }
            : new VisionConfig { Kind = VisionKind.Clip, HiddenSize = 768, IntermediateSize = 3072, NumHiddenLayers = 12, NumAttentionHeads = 12, ImageSize = 256, PatchSize = 16 };
        foreach (var (name, shape, tower, steps) in new[]
        {
            ("demo", StepShape.Demo, demoTower, quick ? 3 : 20),
            ("bench", bench with { ImageTokens = Patches(benchTower) }, benchTower, quick ? 2 : 4),
        })
        {
            var (images, cached, wait, inline) = Measure(Path.Combine(work, $"features-{name}"), shape, tower, steps);
            log($"features   {name} model: {images * 1000:F1} ms/step decoding images and running the tower, {cached * 1000:F1} ms/step from cached features ({images / cached:F2}x)");
            log($"data wait  {name} model: {wait:P1} of the trainer's time with 2 loading workers, {inline:P1} loading each batch in its step");
            yield return new BenchRow("training", $"{name}-model step from cached tower features vs from images (decode + frozen tower)", "steps/s", 1 / cached, "images each step", 1 / images, null,
                $"{cached * 1000:F1} vs {images * 1000:F1} ms/step, medians of {steps} steps");
            yield return new BenchRow("training", $"{name}-model trainer's time waiting for batches, 2 loading workers vs loading in the step", "%", 100 * wait, "dataloader_num_workers 0", 100 * inline, null,
                $"steps 2-{steps + 1} of a vlm-train loop (the first step always waits for its batch)");
        }
    }

    /// <summary>The features a CLIP tower gives per image (its class token dropped): one per patch.</summary>
    static int Patches(VisionConfig config) => (config.ImageSize / config.PatchSize) * (config.ImageSize / config.PatchSize);

    static (double Images, double Cached, double Wait, double InlineWait) Measure(string folder, StepShape shape, VisionConfig towerConfig, int steps)
    {
        manual_seed(1);
        using var model = new VlmModel(towerConfig, new Qwen2ForCausalLM(shape.Config), imageTokenId: 0);
        model.train();
        string towerFolder = Path.Combine(folder, "tower");
        VlmModelFolder.WriteVisionFolder(model, towerFolder);
        var files = ImageBench.WriteJpegs(Path.Combine(folder, "images"), shape.Batch * (steps + 1));
        var random = new Random(2);
        // Rows as the ETL makes them: the image's tokens first, then text drawn from the vocabulary (never id 0, the image token).
        var examples = files.Select((file, i) =>
        {
            int[] ids = [.. Enumerable.Repeat(0, shape.ImageTokens), .. Enumerable.Range(0, shape.Tokens - shape.ImageTokens).Select(_ => random.Next(1, shape.Vocab))];
            int[] labels = [.. ids.Select((id, t) => t < shape.ImageTokens ? -100 : id)];
            return new TrainingExample(ids, labels, Path.GetFileName(file), $"image-{i}");
        }).ToList();
        var preprocessor = VlmProcessor.ForImages(towerConfig.ImageProcessor(towerFolder));
        using (var tower = VlmModelFolder.ReadTower(towerFolder, out var selection))
            VisionFeatureCache.Build(tower, selection, towerFolder, preprocessor, [.. examples.Select(e => (e.ImageSha256!, Path.Combine(folder, "images", e.Image!)))], Path.Combine(folder, "cache"));
        using var decoded = new DecodedImages(preprocessor, Path.Combine(folder, "images"));
        using var cache = VisionFeatureCache.Open(Path.Combine(folder, "cache"), TowerFingerprint.Of(towerFolder, model.Features.Layer, model.DropsFirstToken));
        foreach (var p in model.VisionTower.parameters()) p.requires_grad = false;
        using var optimizer = new AdamW([new ParamGroup([.. model.Projector.parameters(), .. model.LanguageModel.parameters()], 1e-4, 0)]);
        double Median(IBatchImages images)
        {
            var times = new List<double>();
            for (int step = 0; step <= steps; step++)
            {
                var clock = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                {
                    var batch = TrainingBatch.Create([.. examples.Skip(step * shape.Batch).Take(shape.Batch)], images);
                    var (ids, keep, labels, pixels) = batch.ToTensors(CPU);
                    var (loss, _) = model.Loss(ids, keep, labels, pixels);
                    loss.backward();
                    optimizer.StepOnce();
                    optimizer.ZeroGrad();
                }
                if (step > 0) times.Add(clock.Elapsed.TotalSeconds); // the first is a warm-up
            }
            times.Sort();
            return times[times.Count / 2];
        }
        double images = Median(decoded), cached = Median(cache);
        double DataWait(int workers)
        {
            var options = new VlmTrainerOptions
            {
                PerDeviceTrainBatchSize = shape.Batch, MaxSteps = steps + 1, LoggingSteps = 1, SaveSteps = 1000, OutputDir = Path.Combine(folder, $"run-{workers}"),
                ImageRoot = Path.Combine(folder, "images"), TensorBoard = false, DataWorkers = workers, Train = TrainableParts.Projector,
            };
            var trainer = new VlmTrainer(model, options, decoded);
            trainer.Train(examples);
            return trainer.Log.Skip(1).Average(e => e.DataWait);
        }
        return (images, cached, DataWait(2), DataWait(0));
    }
}
