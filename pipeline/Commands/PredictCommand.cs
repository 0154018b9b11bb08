using Microsoft.ML;
using Vlm.Pipeline.Cli;
using Vlm.Trainers.Estimator;

namespace Vlm.Pipeline.Commands;

/// <summary><c>vlm predict</c>: one answer from a trained model folder (the original's test.sh), streamed as it is generated.</summary>
internal sealed class PredictCommand : ICommand
{
    public string Name => "predict";
    public string Summary => "answer one question about one image with a trained model";
    public string Example => "vlm predict --weights ./out/model --image cat.jpg --prompt \"What is in the picture?\"";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        ModelArguments.Weights,
        new("image", "image file (PNG, JPEG, ...); leave out for a text-only question"),
        new("prompt", "the question", Required: true),
        .. GenerationArguments.Options,
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string weights = ModelArguments.WeightsFolder(args);
        string? image = ModelArguments.ImageFile(args);
        var generation = GenerationArguments.Parse(args);
        using var model = new MLContext().Vlm().LoadFolder(weights);
        model.Predictor.Answer(new VlmInput { Image = image ?? "", Prompt = args.Required("prompt") }, output.Write, generation);
        output.WriteLine();
        return ExitCodes.Ok;
    }
}
