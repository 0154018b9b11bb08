using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using Vlm.Trainers.Models.Modules;
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
    public Qwen2Model Model => model;

    public override int VocabSize => Config.VocabSize;
    public override int HiddenSize => Config.HiddenSize;
    public override int NumHiddenLayers => Config.NumHiddenLayers;
    public override Embedding EmbedTokens => model.EmbedTokens;
    public override Tensor HeadWeight => lm_head?.weight ?? model.EmbedTokens.weight!;

    public override bool GradientCheckpointing
    {
        get => model.GradientCheckpointing;
        set => model.GradientCheckpointing = value;
    }

    public override Tensor Forward(Tensor embeddings, Tensor keep, KvCache? cache) => model.Forward(embeddings, keep, cache);

    public override JsonObject ConfigJson() => Config.ToJson();
}
