using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Text;

/// <summary>
/// A Llama-style causal LM in Hugging Face's layout: <c>model.*</c> and <c>lm_head</c> (absent from
/// the checkpoint and shared with the embeddings when <c>tie_word_embeddings</c>). A family whose
/// models have this shape derives from it with its own config.
/// </summary>
internal abstract class DecoderForCausalLM : CausalLanguageModel
{
    // Checkpoint names, fenced.
    readonly DecoderModel model;
    readonly Linear? lm_head;

    protected DecoderForCausalLM(string name, DecoderSpec spec) : base(name)
    {
        model = new DecoderModel(spec);
        if (!spec.TieWordEmbeddings) lm_head = nn.Linear(spec.HiddenSize, spec.VocabSize, hasBias: false);
        RegisterComponents();
    }

    protected override IDecoderModel Body => model;
    protected override Linear? OutputHead => lm_head;
}
