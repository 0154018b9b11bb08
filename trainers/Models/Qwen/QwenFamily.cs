using Vlm.Datasets.Tokenizers;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Text;

namespace Vlm.Trainers.Models.Qwen;

/// <summary>The original Qwen-7B/14B/72B (<c>model_type</c> <c>qwen</c>, <c>QWenLMHeadModel</c>, <c>qwen.tiktoken</c>): loads in transformers only with <c>trust_remote_code</c>.</summary>
internal sealed class QwenFamily : TextFamily<QwenConfig>
{
    public static readonly QwenFamily Instance = new();

    public override IReadOnlyList<string> ModelTypes => [QwenConfig.ModelType];

    protected override QwenConfig ReadConfig(HfConfig config) => QwenConfig.From(config);

    protected override CausalLanguageModel Build(QwenConfig config) => new QwenLMHeadModel(config);

    /// <summary>Untied head, one key/value head per head; Qwen's config records twice the MLP width.</summary>
    protected override QwenConfig TinyConfig(TinyModelOptions options, int vocabulary) => new QwenConfig
    {
        VocabSize = vocabulary, HiddenSize = options.TextHiddenSize, IntermediateSize = 2 * options.TextIntermediateSize,
        NumHiddenLayers = options.TextLayers, NumAttentionHeads = options.TextHeads, KvChannels = options.TextHiddenSize / options.TextHeads,
    };

    public override string DefaultLoraTargets => "c_attn|w1|w2";

    public override bool IsTransformersBuiltIn => false;

    /// <summary>Qwen-7B's first release saved its rotary frequencies and mask buffers.</summary>
    public override bool IsBuffer(string key) =>
        key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal) || key.EndsWith(".attn.bias", StringComparison.Ordinal);

    /// <summary>Qwen-7B's own tokenizer file, <c>qwen.tiktoken</c>, with the same ranks as the built-in tokenizer.</summary>
    public override void WriteTinyTokenizer(string folder, TinyModelOptions options) => TiktokenExport.FromTokenizerJson(BuiltInTokenizer.Folder, folder);
}
