using Vlm.Trainers.Models.Llava;

namespace Vlm.Pipeline.Serve;

/// <summary>Where the chat page listens and what it accepts. Loopback by default: the page has no authentication.</summary>
internal sealed record ChatServerOptions
{
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>The original's gradio chat listened on 7860; 0 picks a free port.</summary>
    public int Port { get; init; } = 7860;
    public long MaxUploadBytes { get; init; } = 10L * 1024 * 1024;
    /// <summary>The longest prompt plus history accepted, in characters (checked before tokenizing).</summary>
    public int MaxTextChars { get; init; } = 32_000;
    /// <summary>The most history turns (user and assistant each count one) accepted.</summary>
    public int MaxHistoryTurns { get; init; } = 64;
    /// <summary>
    /// The longest prompt accepted, in tokens (image placeholders included); the model's context less the
    /// answer's tokens bounds it too. Attention's memory grows with the square of the length, so this is
    /// the request's memory budget.
    /// </summary>
    public int MaxPromptTokens { get; init; } = 4096;
    /// <summary>Images over this many pixels (by their header) are refused before decoding.</summary>
    public long MaxImagePixels { get; init; } = Vlm.Datasets.Images.ImageDecoder.DefaultMaxPixels;
    /// <summary>Requests answered or waiting for the model at once; more are refused with 503 rather than queued without bound.</summary>
    public int MaxConcurrentRequests { get; init; } = 8;
    public GenerationOptions Generation { get; init; } = new();
}
