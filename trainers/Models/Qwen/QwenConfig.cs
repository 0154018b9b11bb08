using System.Text.Json.Nodes;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Text;

namespace Vlm.Trainers.Models.Qwen;

/// <summary>The original Qwen-7B's <c>config.json</c> fields (<c>model_type</c> <c>qwen</c>), with its <c>configuration_qwen.py</c> defaults.</summary>
internal sealed record QwenConfig : ILanguageModelConfig
{
    public const string ModelType = "qwen";

    public int VocabSize { get; init; } = 151936;
    public int HiddenSize { get; init; } = 4096;
    /// <summary>Twice the MLP width: <c>w1</c> and <c>w2</c> each have <c>intermediate_size / 2</c> outputs.</summary>
    public int IntermediateSize { get; init; } = 22016;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    public int KvChannels { get; init; } = 128;
    public double LayerNormEpsilon { get; init; } = 1e-6;
    public double RotaryEmbBase { get; init; } = 10000;
    /// <summary>The training length: beyond it, at inference, dynamic NTK and log-n attention take effect when enabled.</summary>
    public int SeqLength { get; init; } = 2048;
    public bool UseDynamicNtk { get; init; } = true;
    public bool UseLognAttn { get; init; } = true;
    /// <summary>No bias on <c>c_proj</c>, <c>w1</c>, <c>w2</c> (<c>c_attn</c> always has one).</summary>
    public bool NoBias { get; init; } = true;
    public bool TieWordEmbeddings { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 8192;
    public int ContextLength => MaxPositionEmbeddings;

    public int HeadDim => KvChannels;
    public int MlpWidth => IntermediateSize / 2;

    public static QwenConfig From(HfConfig config)
    {
        var c = new QwenConfig
        {
            VocabSize = config.Count("vocab_size"),
            HiddenSize = config.Count("hidden_size"),
            IntermediateSize = config.Count("intermediate_size"),
            NumHiddenLayers = config.Count("num_hidden_layers"),
            NumAttentionHeads = config.Count("num_attention_heads"),
            KvChannels = config.Count("kv_channels", config.Count("hidden_size") / config.Count("num_attention_heads")),
            LayerNormEpsilon = config.Double("layer_norm_epsilon", 1e-6),
            RotaryEmbBase = config.Double("rotary_emb_base", 10000),
            SeqLength = config.Count("seq_length", 2048),
            UseDynamicNtk = config.Bool("use_dynamic_ntk", true),
            UseLognAttn = config.Bool("use_logn_attn", true),
            NoBias = config.Bool("no_bias", true),
            TieWordEmbeddings = config.Bool("tie_word_embeddings", false),
            MaxPositionEmbeddings = config.Count("max_position_embeddings", 8192),
        };
        if (c.KvChannels * c.NumAttentionHeads != c.HiddenSize)
            throw new CheckpointFormatException(config.Path, null,
                $"kv_channels {c.KvChannels} x num_attention_heads {c.NumAttentionHeads} must equal hidden_size {c.HiddenSize} (Qwen's c_proj maps one onto the other)");
        if (c.IntermediateSize % 2 != 0)
            throw new CheckpointFormatException(config.Path, null, $"intermediate_size {c.IntermediateSize} must be even (w1 and w2 each take half)");
        if (config.Has("rotary_pct") && config.Double("rotary_pct") != 1.0)
            throw new CheckpointFormatException(config.Path, null, $"rotary_pct {config.Double("rotary_pct")} is not supported: rotary positions over the full head, as every released Qwen-7B/14B/72B, only");
        if (c.SeqLength <= 1) throw new CheckpointFormatException(config.Path, null, $"seq_length {c.SeqLength} must be above 1");
        return c;
    }

    public IEnumerable<ExpectedTensor> ExpectedTensors() =>
    [
        new("transformer.wte.weight", [VocabSize, HiddenSize], "vocab_size and hidden_size"),
        new($"transformer.h.{NumHiddenLayers - 1}.ln_1.weight", [HiddenSize], "num_hidden_layers"),
        new("transformer.h.0.mlp.w1.weight", [MlpWidth, HiddenSize], "intermediate_size"),
        new("transformer.h.0.attn.c_attn.weight", [3 * NumAttentionHeads * HeadDim, HiddenSize], "num_attention_heads and kv_channels"),
    ];

    /// <summary>The config as Qwen's own code writes it, so the folder loads with <c>trust_remote_code</c> beside Qwen's Python files.</summary>
    public JsonObject ToJson() => new()
    {
        ["architectures"] = new JsonArray("QWenLMHeadModel"),
        ["auto_map"] = new JsonObject
        {
            ["AutoConfig"] = "configuration_qwen.QWenConfig",
            ["AutoModelForCausalLM"] = "modeling_qwen.QWenLMHeadModel",
        },
        ["model_type"] = ModelType,
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["kv_channels"] = KvChannels,
        ["layer_norm_epsilon"] = LayerNormEpsilon,
        ["rotary_emb_base"] = RotaryEmbBase,
        ["rotary_pct"] = 1.0,
        ["seq_length"] = SeqLength,
        ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["use_dynamic_ntk"] = UseDynamicNtk,
        ["use_logn_attn"] = UseLognAttn,
        ["no_bias"] = NoBias,
        ["tie_word_embeddings"] = TieWordEmbeddings,
        ["scale_attn_weights"] = true,
        ["emb_dropout_prob"] = 0.0,
        ["attn_dropout_prob"] = 0.0,
        ["bf16"] = false,
        ["fp16"] = false,
        ["fp32"] = false,
        ["tokenizer_type"] = "QWenTokenizer",
    };
}
