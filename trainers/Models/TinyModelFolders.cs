using System.Text.Json;
using TorchSharp;
using Vlm.Datasets.IO;
using Vlm.Datasets.Tokenizers;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Text;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Trainers.Models;

/// <summary>The sizes of a tiny random model pair (small enough to train on a CPU in minutes).</summary>
public sealed record TinyModelOptions
{
    /// <summary>A registered family's <c>model_type</c>: <c>qwen2</c> (Qwen2ForCausalLM, tied embeddings), <c>qwen</c> (the original Qwen-7B architecture, untied head, <c>qwen.tiktoken</c>) or <c>llama</c> (untied head; needs <see cref="TokenizerFrom"/>).</summary>
    public string TextModelType { get; init; } = "qwen2";
    public int TextHiddenSize { get; init; } = 64;
    public int TextLayers { get; init; } = 2;
    public int TextHeads { get; init; } = 4;
    /// <summary>Key/value heads of Qwen2's grouped-query attention (Qwen-7B has one per head).</summary>
    public int TextKeyValueHeads { get; init; } = 2;
    /// <summary>The MLP width (Qwen-7B's config records twice this as its <c>intermediate_size</c>).</summary>
    public int TextIntermediateSize { get; init; } = 128;
    public VisionKind Vision { get; init; } = VisionKind.Clip;
    public int VisionHiddenSize { get; init; } = 64;
    public int VisionLayers { get; init; } = 2;
    public int VisionHeads { get; init; } = 4;
    public int VisionIntermediateSize { get; init; } = 128;
    public int ImageSize { get; init; } = 32;
    public int PatchSize { get; init; } = 8;
    public long Seed { get; init; }
    /// <summary>Standard deviation of the random weights; Hugging Face's 0.02 makes a model whose untrained answers barely depend on its input.</summary>
    public double InitializerRange { get; init; } = 0.02;
    /// <summary>
    /// Null for Qwen2's whole vocabulary; otherwise texts whose tokens (and the byte symbols) make up a
    /// trimmed vocabulary (<see cref="TokenizerTrim"/>; Qwen2 only), so the output head costs next to nothing.
    /// </summary>
    public IReadOnlyCollection<string>? VocabularyCorpus { get; init; }

    /// <summary>
    /// A tokenizer folder to copy into the LLM folder instead of the family's own (which the Llama
    /// family does not have); its vocabulary, with the chat template's image token added when it
    /// lacks one, sizes the model.
    /// </summary>
    public string? TokenizerFrom { get; init; }
}

/// <summary>
/// Writes a tiny random LLM folder of any registered family (Qwen2 with the built-in tokenizer and
/// tied embeddings, the original Qwen-7B architecture with the same ranks as <c>qwen.tiktoken</c>,
/// both with the real 151,936-entry vocabulary, or Qwen2 with a vocabulary trimmed to a corpus; or
/// any family with a tokenizer copied from a given folder) and a tiny CLIP or SigLIP vision folder, in Hugging
/// Face's formats, initialised as Hugging Face initialises them (the LLM normal with std
/// <c>initializer_range</c>, biases 0; the tower by CLIP's or SigLIP's own rules).
/// They load like real checkpoints: the demo, <c>vlm init-tiny</c> and the tests use them.
/// </summary>
public static class TinyModelFolders
{
    public const string LlmFolder = "llm", VisionFolder = "vision";
    const int VocabularySize = 151936;

    /// <summary>Writes <c>{folder}/llm</c> and <c>{folder}/vision</c>; returns their paths.</summary>
    public static (string Llm, string Vision) Write(string folder, TinyModelOptions options)
    {
        string llm = Path.Combine(folder, LlmFolder), vision = Path.Combine(folder, VisionFolder);
        var tower = VisionConfig.Of(options.Vision) with
        {
            HiddenSize = options.VisionHiddenSize, IntermediateSize = options.VisionIntermediateSize, NumHiddenLayers = options.VisionLayers,
            NumAttentionHeads = options.VisionHeads, ImageSize = options.ImageSize, PatchSize = options.PatchSize,
        };
        var family = TextFamilies.Find(options.TextModelType)
            ?? throw new ArgumentException($"LLM type '{options.TextModelType}' is not one of {string.Join(", ", TextFamilies.All.Select(f => f.ModelTypes[0]))}");
        int vocabulary = VocabularySize;
        if (options.TokenizerFrom is { } source)
        {
            if (options.VocabularyCorpus is not null) throw new ArgumentException("a trimmed vocabulary and a copied tokenizer cannot be combined");
            vocabulary = CopyTokenizer(source, llm);
        }
        else if (!family.HasTinyTokenizer)
        {
            throw new ArgumentException($"a tiny {family} folder needs a tokenizer to copy (TokenizerFrom; init-tiny --tokenizer_from): this project ships none of that family's");
        }
        else if (options.VocabularyCorpus is { } corpus)
        {
            if (!family.HasTrimmedTokenizer) throw new ArgumentException($"a trimmed vocabulary needs a {TextFamily.WithTrimmedTokenizer} LLM, not '{options.TextModelType}'");
            vocabulary = family.WriteTrimmedTokenizer(llm, corpus);
        }
        torch.manual_seed(options.Seed);
        using var model = new VlmModel(tower, family.Tiny(options, vocabulary), imageTokenId: 0);
        Initialise(model, options.InitializerRange);
        VisionInitialization.Apply(model.VisionTower, options.InitializerRange);
        VlmModelFolder.WriteHfFolder(model.LanguageModel, "", model.LanguageModel.ConfigJson(), llm);
        if (options.VocabularyCorpus is null && options.TokenizerFrom is null) family.WriteTinyTokenizer(llm, options);
        VlmModelFolder.WriteVisionFolder(model, vision);
        AtomicFile.WriteAllText(Path.Combine(vision, "preprocessor_config.json"), tower.ImageProcessor(towerFolder: null).ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return (llm, vision);
    }

    /// <summary>Copies the tokenizer files of <paramref name="source"/> and adds the image token its chat template needs; returns the vocabulary size.</summary>
    static int CopyTokenizer(string source, string llm)
    {
        Directory.CreateDirectory(llm);
        var files = new[] { TokenizerFolder.TokenizerJson, TokenizerFolder.TokenizerConfigJson, TiktokenFile.FileName }.Where(f => File.Exists(Path.Combine(source, f))).ToList();
        if (files.Count == 0) throw new DirectoryNotFoundException($"{source}: no {TokenizerFolder.TokenizerJson} or {TiktokenFile.FileName} to copy (TokenizerFrom)");
        foreach (string file in files) File.Copy(Path.Combine(source, file), Path.Combine(llm, file), overwrite: true);
        var template = Vlm.Transforms.Conversations.ChatTemplate.For(TextTokenizer.Load(llm));
        AddedTokens.Ensure(llm, template.ImageToken);
        return TextTokenizer.Load(llm).VocabularySize;
    }

    static void Initialise(torch.nn.Module model, double std)
    {
        using var _ = torch.no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() >= 2) p.normal_(0, std);
            else if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
        }
    }
}
