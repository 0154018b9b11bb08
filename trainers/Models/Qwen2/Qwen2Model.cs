using TorchSharp;
using TorchSharp.Modules;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Text;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Qwen2;

/// <summary>Token embeddings, the decoder layers and the final norm: hidden states from input embeddings.</summary>
internal sealed class Qwen2Model : nn.Module<Tensor, Tensor>, IDecoderModel
{
    // Checkpoint names, fenced.
    readonly Embedding embed_tokens;
    readonly ModuleList<Qwen2DecoderLayer> layers;
    readonly RmsNorm norm;
    readonly Qwen2Config _config;

    public Qwen2Model(Qwen2Config config) : base(nameof(Qwen2Model))
    {
        _config = config;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = new ModuleList<Qwen2DecoderLayer>([.. Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new Qwen2DecoderLayer(config))]);
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
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
        var (cos, sin) = RotaryEmbedding.Angles(positions, _config.HeadDim, _config.RopeTheta, embeddings.dtype);
        var mask = AttentionMask.Causal(keep, t, embeddings.dtype);
        var h = DecoderStack.Run([.. layers], embeddings, new RotaryAngles(cos, sin), mask, cache, GradientCheckpointing);
        return norm.forward(h).MoveToOuterDisposeScope();
    }
}
