using Microsoft.ML.Data;

namespace Vlm.Trainers.Estimator;

/// <summary>
/// One question to the model: an image (a path, or the encoded bytes of a PNG/JPEG), the prompt, and
/// optionally the conversation so far as alternating user and assistant turns. The image belongs to
/// the first user turn, as in LLaVA's data.
/// </summary>
public sealed class VlmInput
{
    /// <summary>Path of the image file; empty when <see cref="ImageBytes"/> is given or the question has no image.</summary>
    [ColumnName("image")]
    public string Image { get; set; } = "";

    /// <summary>The encoded image (PNG, JPEG, ...), used when <see cref="Image"/> is empty.</summary>
    [ColumnName("image_bytes")]
    public byte[] ImageBytes { get; set; } = [];

    [ColumnName("prompt")]
    public string Prompt { get; set; } = "";

    /// <summary>Earlier turns: user, assistant, user, assistant, ... (an even count).</summary>
    [ColumnName("history")]
    public string[] History { get; set; } = [];
}

/// <summary>The model's answer.</summary>
public sealed class VlmOutput
{
    [ColumnName("answer")]
    public string Answer { get; set; } = "";
}
