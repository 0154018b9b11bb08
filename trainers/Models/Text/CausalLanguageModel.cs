using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Qwen;
using Vlm.Trainers.Models.Qwen2;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Text;

/// <summary>
/// The language model inside the VLM, seen through what the VLM needs: token embeddings, hidden
/// states of embedded inputs and the output head. Two architectures stand behind it, each with its
/// own checkpoint names: Hugging Face's <c>Qwen2ForCausalLM</c> and the original Qwen-7B's
/// <c>QWenLMHeadModel</c>.
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

    /// <summary>LoRA's target modules when none are given: the usual ones for the architecture.</summary>
    public abstract string DefaultLoraTargets { get; }

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

    /// <summary>The architecture a <c>config.json</c> names (<c>model_type</c> <c>qwen</c>, or the Qwen2 family).</summary>
    public static CausalLanguageModel Create(HfConfig config) => Create(config, checkpoint: null);

    /// <summary>The model <paramref name="config"/> describes; with <paramref name="checkpoint"/>, its tensors' shapes are checked against the config before anything is built.</summary>
    public static CausalLanguageModel Create(HfConfig config, CheckpointFolder? checkpoint)
    {
        if (config.String("model_type", "qwen2") == QwenConfig.ModelType)
        {
            var qwen = QwenConfig.From(config);
            if (checkpoint is not null) ExpectedTensor.CheckAll(checkpoint, qwen.ExpectedTensors());
            return new QwenLMHeadModel(qwen);
        }
        var qwen2 = Qwen2Config.From(config);
        if (checkpoint is not null) ExpectedTensor.CheckAll(checkpoint, qwen2.ExpectedTensors());
        return new Qwen2ForCausalLM(qwen2);
    }

    /// <summary>Checkpoint tensors that are not parameters (Qwen-7B's first release saved its rotary frequencies and mask buffers): skipped on load.</summary>
    public static bool IsBuffer(string key) =>
        key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal) || key.EndsWith(".attn.bias", StringComparison.Ordinal);
}
