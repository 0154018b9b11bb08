using TorchSharp;
using TorchSharp.Modules;
using Vlm.Trainers.Models.Text;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Qwen2;

/// <summary>
/// Hugging Face's <c>Qwen2ForCausalLM</c>: <c>model.*</c> and <c>lm_head</c> (absent from the
/// checkpoint and shared with the embeddings when <c>tie_word_embeddings</c>).
/// </summary>
internal sealed class Qwen2ForCausalLM : CausalLanguageModel
{
    // Checkpoint names, fenced.
    readonly Qwen2Model model;
    readonly Linear? lm_head;

    public Qwen2ForCausalLM(Qwen2Config config) : base(nameof(Qwen2ForCausalLM))
    {
        Config = config;
        model = new Qwen2Model(config);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    public Qwen2Config Config { get; }

    public override ILanguageModelConfig Settings => Config;
    public override string DefaultLoraTargets => "q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj";
    protected override IDecoderModel Body => model;
    protected override Linear? OutputHead => lm_head;
}
