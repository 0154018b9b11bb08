using Vlm.Trainers.Models.Llava;

namespace Vlm.Pipeline.Serve;

/// <summary>Where the chat page listens and what it accepts. Loopback by default: the page has no authentication.</summary>
internal sealed record ChatServerOptions
{
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>The original's gradio chat listened on 7860; 0 picks a free port.</summary>
    public int Port { get; init; } = 7860;
    public long MaxUploadBytes { get; init; } = 10L * 1024 * 1024;
    /// <summary>The longest prompt plus history accepted, in characters.</summary>
    public int MaxTextChars { get; init; } = 32_000;
    public GenerationOptions Generation { get; init; } = new();
}
