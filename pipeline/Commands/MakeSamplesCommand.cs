using Vlm.Datasets.Synthetic;
using Vlm.Pipeline.Cli;

namespace Vlm.Pipeline.Commands;

/// <summary><c>vlm make-samples</c>: a synthetic shapes dataset in every annotation format the ETL reads.</summary>
internal sealed class MakeSamplesCommand : ICommand
{
    public string Name => "make-samples";
    public string Summary => "write a synthetic shapes dataset (LLaVA, JSONL, AI Challenger, COCO formats, with images)";
    public string Example => "vlm make-samples --output ./samples --count 200 --seed 7";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("output", "folder to write into", Required: true),
        new("count", "number of images", Default: "24"),
        new("seed", "random seed", Default: "42"),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        int count = args.Int("count");
        int seed = args.Int("seed");
        if (count < 1) throw new UsageException("--count must be at least 1");
        string folder = args.Required("output");
        ShapesDataset.Write(folder, count, seed);
        output.WriteLine($"{count} images with LLaVA, JSONL, AI Challenger and COCO annotations -> {folder}");
        return ExitCodes.Ok;
    }
}
