using System.Diagnostics;
using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Config;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Features;
using Vlm.Transforms.Processing;
using Vlm.Transforms.Shards;

namespace Vlm.Pipeline.Commands;

/// <summary>
/// <c>vlm cache-features</c>: a frozen tower's features of every distinct image of the shards, computed
/// once, so that training reads them (<c>vlm train --vision_features</c>) instead of decoding each image
/// and running the tower on it every epoch.
/// </summary>
internal sealed class CacheFeaturesCommand : ICommand
{
    public string Name => "cache-features";
    public string Summary => "run the frozen vision tower once per distinct image of the shards and keep its features (fp16) for training";
    public string Example => "vlm cache-features --data ./shards --vision ./clip-vit-large-patch14 --output ./features   (then vlm train ... --vision_features ./features)";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        ShardArguments.Data,
        new("vision", "the tower: a CLIP or SigLIP folder, or the Hugging Face LLaVA folder given to train --init_from (the same folder the training run names)", Required: true),
        new("output", "the folder to write (must not hold features already)", Required: true),
        TrainSettings.All.Single(s => s.Name == "image_root").Option,
        new("batch_size", "images per tower pass", Default: "16"),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string data = args.Required("data"), vision = args.Required("vision"), folder = args.Required("output");
        int batch = args.Int("batch_size");
        if (batch < 1) throw new UsageException($"--batch_size must be at least 1, not {batch}");
        var shards = ShardArguments.Open(data);
        var images = DatasetImages.Distinct(shards, ShardArguments.ImagePath(args, shards));
        if (images.Count == 0) throw new UsageException($"{data}: no row has an image; there is nothing to cache");
        var clock = Stopwatch.StartNew();
        VisionFeatureCache.CacheIndex index;
        using (var progress = ProgressReporter.Create(output, "images", images.Count, logEvery: 0))
            index = VisionFeatureCache.Build(vision, images, folder, batch, (done, _) => progress.Report(done));
        long bytes = new DirectoryInfo(folder).EnumerateFiles().Sum(f => f.Length);
        output.WriteLine($"features   {index.Images} images x [{index.Tokens}, {index.Hidden}] {index.DType} (layer {index.Layer}{(index.DropFirstToken ? ", first token dropped" : "")}) "
            + $"-> {Path.GetFullPath(folder)} ({bytes / 1048576.0:F1} MB, {images.Count / Math.Max(clock.Elapsed.TotalSeconds, 1e-6):F1} images/s)");
        output.WriteLine($"train with --vision {vision} --vision_features {folder}");
        return ExitCodes.Ok;
    }
}
