using Vlm.Pipeline.Chat;
using Vlm.Pipeline.Cli;

namespace Vlm.Pipeline.Commands;

/// <summary><c>vlm chat</c>: a multi-turn conversation with a trained model in the terminal.</summary>
internal sealed class ChatCommand(TextReader input) : ICommand
{
    public ChatCommand() : this(Console.In) { }

    public string Name => "chat";
    public string Summary => "talk with a trained model in the terminal (multi-turn; /image <path> attaches an image)";
    public string Example => "vlm chat --weights ./out/model --image cat.jpg";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        ModelArguments.Weights,
        new("image", "image for the first conversation (or attach one later with /image <path>)"),
        .. GenerationArguments.Options,
        .. ModelArguments.Placement,
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string weights = ModelArguments.WeightsFolder(args);
        string? image = ModelArguments.ImageFile(args);
        var generation = GenerationArguments.Parse(args);
        using var model = ModelArguments.Load(args, weights);
        new ChatSession(model.Predictor, generation) { Image = image is null ? "" : Path.GetFullPath(image) }.Run(input, output);
        return ExitCodes.Ok;
    }
}
