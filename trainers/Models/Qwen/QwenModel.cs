using TorchSharp.Modules;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Text;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Qwen;

/// <summary>Qwen-7B's <c>transformer</c>: <c>wte</c>, the blocks <c>h</c> and <c>ln_f</c>.</summary>
internal sealed class QwenModel : nn.Module<Tensor, Tensor>, IDecoderModel
{
    // Checkpoint names, fenced.
    readonly Embedding wte;
    readonly ModuleList<QwenBlock> h;
    readonly RmsNorm ln_f;
    readonly QwenConfig _config;

    public QwenModel(QwenConfig config) : base(nameof(QwenModel))
    {
        _config = config;
        wte = nn.Embedding(config.VocabSize, config.HiddenSize);
        h = new ModuleList<QwenBlock>([.. Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new QwenBlock(config))]);
        ln_f = new RmsNorm(config.HiddenSize, config.LayerNormEpsilon);
        RegisterComponents();
    }

    public Embedding EmbedTokens => wte;

    public bool GradientCheckpointing { get; set; }

    public override Tensor forward(Tensor inputIds) => Forward(wte.forward(inputIds), ones_like(inputIds), null);

    /// <summary>
    /// embeddings [B, T, D]; keep [B, S] (1 real, 0 padding; S = cached + T) -> hidden states [B, T, D].
    /// Rotary positions count every slot, padding included, as Qwen's code does (left padding shifts
    /// a row's positions by a constant, which rotary attention does not see).
    /// </summary>
    public Tensor Forward(Tensor embeddings, Tensor keep, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        long b = embeddings.shape[0], t = embeddings.shape[1], total = keep.shape[1], past = total - t;
        var positions = Scalars.Range(past, total, embeddings.device).unsqueeze(0).expand(b, t);
        var bases = RotaryBases(keep, cache, past);
        var (cos, sin) = RotaryEmbedding.Angles(positions, _config.HeadDim, bases, embeddings.dtype);
        var angles = new RotaryAngles(cos, sin);
        if (!training && _config.UseLognAttn && total > _config.SeqLength)
        {
            var scales = new float[t];
            for (long i = 0; i < t; i++) scales[i] = QwenLongContext.LognScale(past + i, _config.SeqLength);
            var scale = tensor(scales, [1, 1, t, 1], device: embeddings.device).to(embeddings.dtype);
            angles = new RotaryAngles(cos, sin, cos * scale, sin * scale);
        }
        var mask = AttentionMask.Causal(keep, t, embeddings.dtype);
        var hidden = DecoderStack.Run([.. h], embeddings, angles, mask, cache, GradientCheckpointing);
        return ln_f.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The rotary base of each row. Dynamic NTK applies at inference only and is chosen when the
    /// prompt is read (from each row's real length once the sequence passes <c>seq_length</c>), then kept while generating.
    /// </summary>
    IReadOnlyList<double> RotaryBases(Tensor keep, KvCache? cache, long past)
    {
        if (training || !_config.UseDynamicNtk) return [_config.RotaryEmbBase];
        if (past > 0 && cache?.RotaryBases is { } chosen) return chosen;
        long total = keep.shape[1];
        double[] bases = total <= _config.SeqLength
            ? [_config.RotaryEmbBase]
            : [.. keep.sum(1).to(int64).cpu().data<long>().ToArray().Select(length =>
                QwenLongContext.RotaryBase(_config.RotaryEmbBase, QwenLongContext.NtkAlpha(length, _config.SeqLength), _config.HeadDim))];
        if (cache is not null) cache.RotaryBases = bases;
        return bases;
    }
}
