using System.Text.Json.Nodes;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Text;

namespace Vlm.Trainers.Models.Qwen2;

/// <summary>The Qwen2 family's <c>config.json</c> fields the model uses, with Hugging Face's defaults.</summary>
internal sealed record Qwen2Config : ILanguageModelConfig
{
    public int VocabSize { get; init; } = 151936;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 22016;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    public int NumKeyValueHeads { get; init; } = 32;
    public double RopeTheta { get; init; } = 10000.0;
    public double RmsNormEps { get; init; } = 1e-6;
    public bool TieWordEmbeddings { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 32768;
    public RopeScaling? RopeScaling { get; init; }
    public int ContextLength => MaxPositionEmbeddings;

    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>The decoder this config describes: Llama's shape with bias on q, k and v.</summary>
    public DecoderSpec Decoder => new()
    {
        VocabSize = VocabSize, HiddenSize = HiddenSize, IntermediateSize = IntermediateSize, NumHiddenLayers = NumHiddenLayers,
        NumAttentionHeads = NumAttentionHeads, NumKeyValueHeads = NumKeyValueHeads, HeadDim = HeadDim, RmsNormEps = RmsNormEps,
        RopeTheta = RopeTheta, RopeScaling = RopeScaling, TieWordEmbeddings = TieWordEmbeddings, QkvBias = true,
    };

    public static Qwen2Config From(HfConfig config)
    {
        string type = config.String("model_type", "qwen2")!;
        if (!Qwen2Family.Instance.ModelTypes.Contains(type))
            throw new CheckpointFormatException(config.Path, null, $"model_type '{type}' is not a Qwen2-family language model");
        var c = new Qwen2Config
        {
            VocabSize = config.Count("vocab_size"),
            HiddenSize = config.Count("hidden_size"),
            IntermediateSize = config.Count("intermediate_size"),
            NumHiddenLayers = config.Count("num_hidden_layers"),
            NumAttentionHeads = config.Count("num_attention_heads"),
            NumKeyValueHeads = config.Count("num_key_value_heads", config.Count("num_attention_heads")),
            RopeTheta = config.Double("rope_theta", 10000.0),
            RmsNormEps = config.Double("rms_norm_eps", 1e-6),
            TieWordEmbeddings = config.Bool("tie_word_embeddings", false),
            MaxPositionEmbeddings = config.Count("max_position_embeddings", 32768),
            RopeScaling = RopeScaling.From(config),
        };
        if (c.HiddenSize % c.NumAttentionHeads != 0 || c.NumAttentionHeads % c.NumKeyValueHeads != 0)
            throw new CheckpointFormatException(config.Path, null,
                $"hidden_size {c.HiddenSize}, num_attention_heads {c.NumAttentionHeads} and num_key_value_heads {c.NumKeyValueHeads} do not divide evenly");
        return c;
    }

    public IEnumerable<ExpectedTensor> ExpectedTensors() =>
    [
        new("model.embed_tokens.weight", [VocabSize, HiddenSize], "vocab_size and hidden_size"),
        new($"model.layers.{NumHiddenLayers - 1}.input_layernorm.weight", [HiddenSize], "num_hidden_layers"),
        new("model.layers.0.mlp.gate_proj.weight", [IntermediateSize, HiddenSize], "intermediate_size"),
        new("model.layers.0.self_attn.k_proj.weight", [NumKeyValueHeads * (HiddenSize / NumAttentionHeads), HiddenSize], "num_attention_heads and num_key_value_heads"),
    ];

    /// <summary>The config as Hugging Face's <c>Qwen2ForCausalLM</c> writes it.</summary>
    public JsonObject ToJson() => new()
    {
        ["architectures"] = new JsonArray("Qwen2ForCausalLM"),
        ["model_type"] = "qwen2",
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["num_key_value_heads"] = NumKeyValueHeads,
        ["rope_theta"] = RopeTheta,
        ["rope_scaling"] = RopeScaling?.ToJson(),
        ["rms_norm_eps"] = RmsNormEps,
        ["tie_word_embeddings"] = TieWordEmbeddings,
        ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["hidden_act"] = "silu",
        ["torch_dtype"] = "float32",
    };
}
