using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using Vlm.Trainers.Models.Modules;
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

    public override int VocabSize => Config.VocabSize;
    public override int HiddenSize => Config.HiddenSize;
    public override int NumHiddenLayers => Config.NumHiddenLayers;
    public override Embedding EmbedTokens => transformer.Wte;
    public override Tensor HeadWeight => lm_head?.weight ?? transformer.Wte.weight!;

    public override bool GradientCheckpointing
    {
        get => transformer.GradientCheckpointing;
        set => transformer.GradientCheckpointing = value;
    }

    public override Tensor Forward(Tensor embeddings, Tensor keep, KvCache? cache) => transformer.Forward(embeddings, keep, cache);

    public override JsonObject ConfigJson() => Config.ToJson();
}
