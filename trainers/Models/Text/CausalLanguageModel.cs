using System.Text.Json.Nodes;
using TorchSharp.Modules;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Text;

/// <summary>
/// The language model inside the VLM, seen through what the VLM needs: token embeddings, hidden
/// states of embedded inputs and the output head. Each family (<see cref="TextFamilies"/>) stands
/// behind it with its own modules and checkpoint names.
/// </summary>
internal abstract class CausalLanguageModel : nn.Module<Tensor, Tensor>
{
    protected CausalLanguageModel(string name) : base(name) { }

    /// <summary>The architecture's own config record.</summary>
    public abstract ILanguageModelConfig Settings { get; }

    /// <summary>Everything under the head.</summary>
    protected abstract IDecoderModel Body { get; }

    /// <summary>The untied output head, or null when it shares the input embeddings.</summary>
    protected abstract Linear? OutputHead { get; }

    /// <summary>The family this model belongs to (what else depends on the LLM is asked of it).</summary>
    public abstract TextFamily Family { get; }

    /// <summary>LoRA's target modules when none are given: the usual ones for the family.</summary>
    public string DefaultLoraTargets => Family.DefaultLoraTargets;

    public int VocabSize => Settings.VocabSize;
    public int HiddenSize => Settings.HiddenSize;
    public int NumHiddenLayers => Settings.NumHiddenLayers;

    /// <summary>The input embedding table [V, D].</summary>
    public Embedding EmbedTokens => Body.EmbedTokens;

    /// <summary>The output embedding matrix [V, D] (the input table when the embeddings are tied).</summary>
    public Tensor HeadWeight => OutputHead?.weight ?? Body.EmbedTokens.weight!;

    /// <summary>When set, each layer's activations are recomputed in the backward pass instead of kept (memory for time).</summary>
    public bool GradientCheckpointing
    {
        get => Body.GradientCheckpointing;
        set => Body.GradientCheckpointing = value;
    }

    /// <summary>embeddings [B, T, D]; keep [B, S] (1 real, 0 padding; S = cached + T) -> hidden states [B, T, D] after the final norm.</summary>
    public Tensor Forward(Tensor embeddings, Tensor keep, KvCache? cache) => Body.Forward(embeddings, keep, cache);

    /// <summary>The model's <c>config.json</c>, as its own library writes it.</summary>
    public JsonObject ConfigJson() => Settings.ToJson();

    /// <summary>Logits for hidden states [..., D] -> [..., V]. Callers pass only the positions they need.</summary>
    public Tensor Head(Tensor hidden) => nn.functional.linear(hidden, HeadWeight);

    /// <summary>Logits [B, T, V] of unpadded token ids [B, T].</summary>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        return Head(Forward(EmbedTokens.forward(inputIds), ones_like(inputIds), null)).MoveToOuterDisposeScope();
    }

    /// <summary>The model a <c>config.json</c> describes, built by the family its <c>model_type</c> names.</summary>
    public static CausalLanguageModel Create(HfConfig config) => TextFamilies.Of(config).Create(config, checkpoint: null);

    /// <summary>As above; the checkpoint's tensors' shapes are checked against the config before anything is built.</summary>
    public static CausalLanguageModel Create(HfConfig config, CheckpointFolder checkpoint) => TextFamilies.Of(config).Create(config, checkpoint);
}
