using Vlm.Trainers.Checkpoints;

namespace Vlm.Trainers.Models.Text;

/// <summary>
/// One family of language models, found by <c>config.json</c>'s <c>model_type</c> through
/// <see cref="TextFamilies"/>. Everything that depends on which LLM it is lives in the family's
/// folder behind this type: its config record, modules, checkpoint layout, LoRA targets and tiny test model.
/// </summary>
internal abstract class TextFamily
{
    /// <summary>The <c>model_type</c> values this family loads; the first is the one it writes.</summary>
    public abstract IReadOnlyList<string> ModelTypes { get; }

    /// <summary>The model <paramref name="config"/> describes; with <paramref name="checkpoint"/>, its tensors' shapes are checked against the config before anything is built.</summary>
    public abstract CausalLanguageModel Create(HfConfig config, CheckpointFolder? checkpoint);

    /// <summary>A small random model of this family (the tiny folders of the demo, <c>init-tiny</c> and tests).</summary>
    public abstract CausalLanguageModel Tiny(TinyModelOptions options, int vocabulary);

    /// <summary>LoRA's target modules when none are given: the usual ones for the family.</summary>
    public abstract string DefaultLoraTargets { get; }

    /// <summary>Whether Hugging Face transformers has the family built in, so a <c>LlavaForConditionalGeneration</c> folder can hold it.</summary>
    public abstract bool IsTransformersBuiltIn { get; }

    /// <summary>Checkpoint tensors that are not parameters (saved buffers): skipped on load.</summary>
    public virtual bool IsBuffer(string key) => false;

    /// <summary>Whether the family has a tokenizer this project ships for tiny folders (without one, a tiny folder copies a given tokenizer).</summary>
    public virtual bool HasTinyTokenizer => true;

    /// <summary>Writes the tokenizer files a tiny folder of this family carries, when its vocabulary was not trimmed to a corpus.</summary>
    public abstract void WriteTinyTokenizer(string folder, TinyModelOptions options);

    /// <summary>Whether the family's tiny tokenizer can be cut to a corpus's tokens (<see cref="WriteTrimmedTokenizer"/>), so a tiny model's head costs next to nothing.</summary>
    public virtual bool HasTrimmedTokenizer => false;

    /// <summary>Writes the family's tiny tokenizer trimmed to the tokens of <paramref name="corpus"/> into <paramref name="folder"/>; returns its vocabulary size.</summary>
    public virtual int WriteTrimmedTokenizer(string folder, IReadOnlyCollection<string> corpus) =>
        throw new NotSupportedException($"the {this} family has no trimmed tokenizer");

    /// <summary>The registered families with a trimmed tokenizer, for messages.</summary>
    public static string WithTrimmedTokenizer => string.Join(" or ", TextFamilies.All.Where(f => f.HasTrimmedTokenizer));

    public override string ToString() => ModelTypes[0];
}

/// <summary>
/// A family with its config record <typeparamref name="TConfig"/>: reading the config, checking the
/// checkpoint's tensor shapes against it before any module is built, and building, done once here
/// for every family.
/// </summary>
internal abstract class TextFamily<TConfig> : TextFamily where TConfig : ILanguageModelConfig
{
    /// <summary>The family's config record from a <c>config.json</c> (errors name the file and field).</summary>
    protected abstract TConfig ReadConfig(HfConfig config);

    /// <summary>The config of a small random model of this family.</summary>
    protected abstract TConfig TinyConfig(TinyModelOptions options, int vocabulary);

    /// <summary>The family's model for a config.</summary>
    protected abstract CausalLanguageModel Build(TConfig config);

    public sealed override CausalLanguageModel Create(HfConfig config, CheckpointFolder? checkpoint)
    {
        var settings = ReadConfig(config);
        if (checkpoint is not null) ExpectedTensor.CheckAll(checkpoint, settings.ExpectedTensors());
        return Build(settings);
    }

    public sealed override CausalLanguageModel Tiny(TinyModelOptions options, int vocabulary) => Build(TinyConfig(options, vocabulary));
}
