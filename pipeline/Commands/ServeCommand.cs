using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Serve;
using Vlm.Trainers.Estimator;

namespace Vlm.Pipeline.Commands;

/// <summary><c>vlm serve</c>: the web chat page for a trained model, until Ctrl+C.</summary>
internal sealed class ServeCommand : ICommand
{
    static readonly ChatServerOptions Defaults = new();

    public string Name => "serve";
    public string Summary => "a web chat page for a trained model (upload or paste an image, multi-turn, streamed answers)";
    public string Example => "vlm serve --weights ./out/model   (then open http://127.0.0.1:7860)";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        ModelArguments.Weights,
        new("host", "address to listen on; anything but loopback exposes the page (it has no login) to the network", Default: Defaults.Host),
        new("port", "port to listen on; 0 picks a free one", Default: Defaults.Port.ToString()),
        new("max_upload_mb", "largest image accepted, in MB", Default: (Defaults.MaxUploadBytes / (1024 * 1024)).ToString()),
        .. GenerationArguments.Options,
        .. ModelArguments.Placement,
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string weights = ModelArguments.WeightsFolder(args);
        int port = args.Int("port", Defaults.Port);
        if (port is < 0 or > 65535) throw new UsageException("--port must be between 0 and 65535");
        double uploadMb = args.Double("max_upload_mb", Defaults.MaxUploadBytes / (1024.0 * 1024));
        if (uploadMb <= 0) throw new UsageException("--max_upload_mb must be positive");
        var options = new ChatServerOptions
        {
            Host = args.Value("host") ?? Defaults.Host, Port = port, MaxUploadBytes = (long)(uploadMb * 1024 * 1024),
            Generation = GenerationArguments.Parse(args),
        };
        return Serve(options, () => ModelArguments.Load(args, weights), weights, output).GetAwaiter().GetResult();
    }

    static async Task<int> Serve(ChatServerOptions options, Func<VlmTransformer> load, string weights, TextWriter output)
    {
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            await using var server = await ChatServer.StartAsync(options, load);
            output.WriteLine($"serving    {server.Address} (loading {weights}; Ctrl+C stops)");
            if (options.Host is not ("127.0.0.1" or "localhost" or "::1"))
                output.WriteLine($"warning    listening on {options.Host}: anyone who can reach this machine can use the page");
            try
            {
                await server.Model.WaitAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                output.WriteLine($"error: {weights}: the model could not be loaded: {e.Message}");
                return ExitCodes.Failed;
            }
            output.WriteLine($"ready      open {server.Address} in a browser");
            await server.WaitForShutdownAsync(stop.Token);
            return ExitCodes.Ok;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
