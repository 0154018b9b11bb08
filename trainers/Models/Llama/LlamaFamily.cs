using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Text;

namespace Vlm.Trainers.Models.Llama;

/// <summary>The Llama family (<c>model_type</c> <c>llama</c>): Llama 2 and 3, Vicuna, the LLM of LLaVA-1.5.</summary>
internal sealed class LlamaFamily : TextFamily<LlamaConfig>
{
    public static readonly LlamaFamily Instance = new();

    public override IReadOnlyList<string> ModelTypes => [LlamaConfig.ModelType];

    protected override LlamaConfig ReadConfig(HfConfig config) => LlamaConfig.From(config);

    protected override CausalLanguageModel Build(LlamaConfig config) => new LlamaForCausalLM(config);

    /// <summary>Untied head and grouped-query attention, as Llama 3's small models.</summary>
    protected override LlamaConfig TinyConfig(TinyModelOptions options, int vocabulary) => new LlamaConfig
    {
        VocabSize = vocabulary, HiddenSize = options.TextHiddenSize, IntermediateSize = options.TextIntermediateSize, NumHiddenLayers = options.TextLayers,
        NumAttentionHeads = options.TextHeads, NumKeyValueHeads = options.TextKeyValueHeads, HeadDim = options.TextHiddenSize / options.TextHeads,
        RmsNormEps = 1e-5, RopeTheta = 500_000,
    };

    public override string DefaultLoraTargets => "q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj";

    public override bool IsTransformersBuiltIn => true;

    /// <summary>Llama's tokenizers are Meta's to ship: a tiny Llama folder copies one it is given.</summary>
    public override bool HasTinyTokenizer => false;

    public override void WriteTinyTokenizer(string folder, TinyModelOptions options) =>
        throw new NotSupportedException("a tiny Llama folder copies the tokenizer it is given (TinyModelOptions.TokenizerFrom)");
}
