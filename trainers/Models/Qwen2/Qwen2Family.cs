using Vlm.Datasets.Tokenizers;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Text;

namespace Vlm.Trainers.Models.Qwen2;

/// <summary>The Qwen2 family (Qwen1.5, Qwen2, Qwen2.5): <c>model_type</c> <c>qwen2</c>, a <c>tokenizer.json</c> byte-level BPE.</summary>
internal sealed class Qwen2Family : TextFamily<Qwen2Config>
{
    public static readonly Qwen2Family Instance = new();

    public override IReadOnlyList<string> ModelTypes => ["qwen2", "qwen2_5"];

    protected override Qwen2Config ReadConfig(HfConfig config) => Qwen2Config.From(config);

    protected override CausalLanguageModel Build(Qwen2Config config) => new Qwen2ForCausalLM(config);

    /// <summary>Tied embeddings and Qwen2's rotary base, as the small Qwen2 models have.</summary>
    protected override Qwen2Config TinyConfig(TinyModelOptions options, int vocabulary) => new Qwen2Config
    {
        VocabSize = vocabulary, HiddenSize = options.TextHiddenSize, IntermediateSize = options.TextIntermediateSize, NumHiddenLayers = options.TextLayers,
        NumAttentionHeads = options.TextHeads, NumKeyValueHeads = options.TextKeyValueHeads, RopeTheta = 1_000_000, TieWordEmbeddings = true,
    };

    public override string DefaultLoraTargets => "q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj";

    public override bool IsTransformersBuiltIn => true;

    public override void WriteTinyTokenizer(string folder, TinyModelOptions options)
    {
        foreach (var file in new[] { TokenizerFolder.TokenizerJson, TokenizerFolder.TokenizerConfigJson })
            File.Copy(Path.Combine(BuiltInTokenizer.Folder, file), Path.Combine(folder, file), overwrite: true);
    }

    public override bool HasTrimmedTokenizer => true;

    public override int WriteTrimmedTokenizer(string folder, IReadOnlyCollection<string> corpus) => TokenizerTrim.Write(BuiltInTokenizer.Folder, corpus, folder);
}
