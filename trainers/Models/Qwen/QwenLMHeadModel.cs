using TorchSharp.Modules;
using Vlm.Trainers.Models.Text;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Qwen;

/// <summary>The original Qwen-7B (<c>QWenLMHeadModel</c>): <c>transformer.*</c> and an untied <c>lm_head</c>.</summary>
internal sealed class QwenLMHeadModel : CausalLanguageModel
{
    // Checkpoint names, fenced.
    readonly QwenModel transformer;
    readonly Linear? lm_head;

    public QwenLMHeadModel(QwenConfig config) : base(nameof(QwenLMHeadModel))
    {
        Config = config;
        transformer = new QwenModel(config);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    public QwenConfig Config { get; }

    public override ILanguageModelConfig Settings => Config;
    public override TextFamily Family => QwenFamily.Instance;
    protected override IDecoderModel Body => transformer;
    protected override Linear? OutputHead => lm_head;
}
