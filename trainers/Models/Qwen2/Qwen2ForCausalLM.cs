using TorchSharp;
using TorchSharp.Modules;
using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Qwen2;

/// <summary>
/// Hugging Face's <c>Qwen2ForCausalLM</c>: <c>model.*</c> and <c>lm_head</c> (absent from the
/// checkpoint and shared with the embeddings when <c>tie_word_embeddings</c>).
/// </summary>
internal sealed class Qwen2ForCausalLM : nn.Module<Tensor, Tensor>
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

    /// <summary>The output embedding matrix [V, D].</summary>
    public Tensor HeadWeight => lm_head?.weight ?? model.EmbedTokens.weight!;

    /// <summary>Logits for hidden states [..., D] -> [..., V]. Callers pass only the positions they need.</summary>
    public Tensor Head(Tensor hidden) => nn.functional.linear(hidden, HeadWeight);

    public override Tensor forward(Tensor inputIds) => Head(model.forward(inputIds));
}
