using Vlm.Trainers.Estimator;

namespace Vlm.Pipeline.Cli;

/// <summary>The trained model and image arguments of the commands that use a model (predict, chat, serve, export).</summary>
internal static class ModelArguments
{
    public static CommandOption Weights { get; } =
        new("weights", "a trained model folder ({output_dir}/model of vlm train, or the .vlm folder next to a model.zip)", Required: true);

    /// <summary>Where the model runs and in which type (--device, --precision).</summary>
    public static IReadOnlyList<CommandOption> Placement { get; } = [DeviceArguments.Device, DeviceArguments.Precision];

    /// <summary>The model of <paramref name="weights"/> on --device in --precision.</summary>
    public static VlmTransformer Load(CommandLine args, string weights) =>
        DeviceArguments.Context(args).Vlm().LoadFolder(weights, DeviceArguments.PrecisionOf(args));

    /// <summary>--weights, which must be an existing folder.</summary>
    public static string WeightsFolder(CommandLine args)
    {
        string weights = args.Required("weights");
        return Directory.Exists(weights) ? weights : throw new UsageException($"{weights}: no such model folder");
    }

    /// <summary>--image when given, which must be an existing file.</summary>
    public static string? ImageFile(CommandLine args)
    {
        string? image = args.Value("image");
        return image is null || File.Exists(image) ? image : throw new UsageException($"{image}: no such image file");
    }
}
