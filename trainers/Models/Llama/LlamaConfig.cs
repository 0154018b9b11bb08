using System.Text.Json.Nodes;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Text;

namespace Vlm.Trainers.Models.Llama;

/// <summary>The Llama family's <c>config.json</c> fields (Llama 2 and 3, Vicuna, LLaVA-1.5's LLM), with Hugging Face's <c>LlamaConfig</c> defaults.</summary>
internal sealed record LlamaConfig : ILanguageModelConfig
{
    public const string ModelType = "llama";

    public int VocabSize { get; init; } = 32000;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 11008;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    public int NumKeyValueHeads { get; init; } = 32;
    /// <summary><c>head_dim</c>; <c>hidden_size / num_attention_heads</c> when absent.</summary>
    public int HeadDim { get; init; } = 128;
    public double RopeTheta { get; init; } = 10000.0;
    public RopeScaling? RopeScaling { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary>Bias on q, k, v and o.</summary>
    public bool AttentionBias { get; init; }
    /// <summary>Bias on gate, up and down.</summary>
    public bool MlpBias { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public int BosTokenId { get; init; } = 1;
    public int EosTokenId { get; init; } = 2;
    public int ContextLength => MaxPositionEmbeddings;

    public DecoderSpec Decoder => new()
    {
        VocabSize = VocabSize, HiddenSize = HiddenSize, IntermediateSize = IntermediateSize, NumHiddenLayers = NumHiddenLayers,
        NumAttentionHeads = NumAttentionHeads, NumKeyValueHeads = NumKeyValueHeads, HeadDim = HeadDim, RmsNormEps = RmsNormEps,
        RopeTheta = RopeTheta, RopeScaling = RopeScaling, TieWordEmbeddings = TieWordEmbeddings,
        QkvBias = AttentionBias, OutputBias = AttentionBias, MlpBias = MlpBias,
    };

    public static LlamaConfig From(HfConfig config)
    {
        string type = config.String("model_type", ModelType)!;
        if (type != ModelType) throw new CheckpointFormatException(config.Path, null, $"model_type '{type}' is not a Llama-family language model");
        string act = config.String("hidden_act", "silu")!;
        if (act != "silu") throw new CheckpointFormatException(config.Path, null, $"hidden_act '{act}' is not implemented (Llama's MLP is silu)");
        int hidden = config.Count("hidden_size"), heads = config.Count("num_attention_heads");
        var c = new LlamaConfig
        {
            VocabSize = config.Count("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = config.Count("intermediate_size"),
            NumHiddenLayers = config.Count("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = config.Count("num_key_value_heads", heads),
            HeadDim = config.Count("head_dim", hidden / heads),
            RopeTheta = config.Double("rope_theta", 10000.0),
            RopeScaling = RopeScaling.From(config),
            RmsNormEps = config.Double("rms_norm_eps", 1e-6),
            AttentionBias = config.Bool("attention_bias", false),
            MlpBias = config.Bool("mlp_bias", false),
            TieWordEmbeddings = config.Bool("tie_word_embeddings", false),
            MaxPositionEmbeddings = config.Count("max_position_embeddings", 2048),
            BosTokenId = config.Int("bos_token_id", 1),
            EosTokenId = config.Int("eos_token_id", 2),
        };
        if (c.NumAttentionHeads % c.NumKeyValueHeads != 0 || c.HeadDim % 2 != 0)
            throw new CheckpointFormatException(config.Path, null,
                $"num_attention_heads {c.NumAttentionHeads} must be a multiple of num_key_value_heads {c.NumKeyValueHeads}, and head_dim {c.HeadDim} even");
        return c;
    }

    public IEnumerable<ExpectedTensor> ExpectedTensors() =>
    [
        new("model.embed_tokens.weight", [VocabSize, HiddenSize], "vocab_size and hidden_size"),
        new($"model.layers.{NumHiddenLayers - 1}.input_layernorm.weight", [HiddenSize], "num_hidden_layers"),
        new("model.layers.0.mlp.gate_proj.weight", [IntermediateSize, HiddenSize], "intermediate_size"),
        new("model.layers.0.self_attn.q_proj.weight", [NumAttentionHeads * HeadDim, HiddenSize], "num_attention_heads and head_dim"),
        new("model.layers.0.self_attn.k_proj.weight", [NumKeyValueHeads * HeadDim, HiddenSize], "num_key_value_heads and head_dim"),
    ];

    /// <summary>The config as Hugging Face's <c>LlamaForCausalLM</c> writes it.</summary>
    public JsonObject ToJson() => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = ModelType,
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["num_key_value_heads"] = NumKeyValueHeads,
        ["head_dim"] = HeadDim,
        ["rope_theta"] = RopeTheta,
        ["rope_scaling"] = RopeScaling?.ToJson(),
        ["rms_norm_eps"] = RmsNormEps,
        ["attention_bias"] = AttentionBias,
        ["mlp_bias"] = MlpBias,
        ["tie_word_embeddings"] = TieWordEmbeddings,
        ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["bos_token_id"] = BosTokenId,
        ["eos_token_id"] = EosTokenId,
        ["hidden_act"] = "silu",
        ["torch_dtype"] = "float32",
    };
}
