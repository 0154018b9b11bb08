namespace Vlm.Trainers.Models.Text;

/// <summary>
/// The shape of a Llama-style decoder (Llama, Qwen2 and their kin in Hugging Face): RMSNorm before
/// attention and MLP, grouped-query attention with rotary positions, a SwiGLU MLP. Each family's
/// config says which of the optional parts it has; the modules in this folder build from it.
/// </summary>
internal sealed record DecoderSpec
{
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int HeadDim { get; init; }
    public required double RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }
    public RopeScaling? RopeScaling { get; init; }
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Bias on q, k and v (Qwen2 always; Llama with <c>attention_bias</c>).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on o_proj (Llama with <c>attention_bias</c>).</summary>
    public bool OutputBias { get; init; }
    /// <summary>Bias on gate, up and down (Llama with <c>mlp_bias</c>).</summary>
    public bool MlpBias { get; init; }

    /// <summary>The inverse rotary frequencies every position is rotated by.</summary>
    public double[] InverseFrequencies() => RopeScaling.InverseFrequencies(RopeScaling, HeadDim, RopeTheta);
}
