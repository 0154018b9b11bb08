using TorchSharp.Modules;
using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Text;

/// <summary>Token embeddings, the decoder layers and the final norm: hidden states from input embeddings.</summary>
internal sealed class DecoderModel : nn.Module<Tensor, Tensor>, IDecoderModel
{
    // Checkpoint names, fenced.
    readonly Embedding embed_tokens;
    readonly ModuleList<DecoderLayer> layers;
    readonly RmsNorm norm;
    readonly double[] _inverseFrequencies;

    public DecoderModel(DecoderSpec spec) : base(nameof(DecoderModel))
    {
        _inverseFrequencies = spec.InverseFrequencies();
        embed_tokens = nn.Embedding(spec.VocabSize, spec.HiddenSize);
        layers = new ModuleList<DecoderLayer>([.. Enumerable.Range(0, spec.NumHiddenLayers).Select(_ => new DecoderLayer(spec))]);
        norm = new RmsNorm(spec.HiddenSize, spec.RmsNormEps);
        RegisterComponents();
    }

    public Embedding EmbedTokens => embed_tokens;

    public bool GradientCheckpointing { get; set; }

    public override Tensor forward(Tensor inputIds) => Forward(embed_tokens.forward(inputIds), ones_like(inputIds), null);

    /// <summary>embeddings [B, T, D]; keep [B, S] (1 real, 0 padding; S = cached + T) -> hidden states [B, T, D].</summary>
    public Tensor Forward(Tensor embeddings, Tensor keep, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        long t = embeddings.shape[1];
        var positions = AttentionMask.Positions(keep, t);
        var (cos, sin) = RotaryEmbedding.Angles(positions, [_inverseFrequencies], embeddings.dtype);
        var mask = AttentionMask.Causal(keep, t, embeddings.dtype);
        var h = DecoderStack.Run([.. layers], embeddings, new RotaryAngles(cos, sin), mask, cache, GradientCheckpointing);
        return norm.forward(h).MoveToOuterDisposeScope();
    }
}
