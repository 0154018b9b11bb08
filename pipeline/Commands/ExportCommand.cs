using Microsoft.ML;
using Vlm.Pipeline.Cli;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Estimator;

namespace Vlm.Pipeline.Commands;

/// <summary><c>vlm export</c>: a trained model as a Hugging Face LLaVA folder, usable from Python.</summary>
internal sealed class ExportCommand : ICommand
{
    public string Name => "export";
    public string Summary => "write a trained model as a Hugging Face LLaVA folder (LoRA merged) for use from Python";
    public string Example => "vlm export --weights ./out/model --format llava-hf --out ./llava-hf   (then LlavaForConditionalGeneration.from_pretrained(\"./llava-hf\"))";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        ModelArguments.Weights,
        new("out", "the folder to write (replaced when it exists)", Required: true),
        new("format", "llava-hf: LlavaForConditionalGeneration weights and config, tokenizer, processor and chat template", Default: "llava-hf"),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string weights = ModelArguments.WeightsFolder(args), target = args.Required("out");
        string format = args.ValueOrDefault("format");
        if (format != "llava-hf") throw new UsageException($"--format {format} is not supported; the one format is llava-hf");
        if (Path.GetFullPath(target).TrimEnd('/') == Path.GetFullPath(weights).TrimEnd('/')) throw new UsageException("--out must not be the model folder itself");
        using var model = new MLContext().Vlm().LoadFolder(weights);
        VlmModelFolder.Export(model.Predictor, target);
        long bytes = new DirectoryInfo(target).EnumerateFiles().Sum(f => f.Length);
        output.WriteLine($"exported   {weights} -> {Path.GetFullPath(target)} (llava-hf, {bytes / (1024.0 * 1024):F1} MB)");
        return ExitCodes.Ok;
    }
}
