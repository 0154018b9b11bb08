using Vlm.Datasets.Tokenizers;
using Vlm.Pipeline.Cli;
using Vlm.Trainers.Models;
using Vlm.Trainers.Models.Text;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Pipeline.Commands;

/// <summary><c>vlm init-tiny</c>: tiny random Qwen2, Qwen-7B-architecture or Llama and CLIP/SigLIP folders in Hugging Face format, for experiments.</summary>
internal sealed class InitTinyCommand : ICommand
{
    public string Name => "init-tiny";
    public string Summary => "write tiny random Qwen2 (or Qwen-7B architecture, or Llama) + CLIP/SigLIP model folders in Hugging Face format";
    public string Example => "vlm init-tiny --out ./tiny --hidden 64 --layers 2 --vision siglip   (the original's LLM architecture: --llm qwen; a vocabulary trimmed to your texts: --vocabulary_from texts.txt; LLaVA-1.5-shaped: --llm llama --tokenizer_from ./llama2-tokenizer)";

    static readonly TinyModelOptions Defaults = new();

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("out", "folder to write llm/ and vision/ into", Required: true),
        new("hidden", "hidden size of both models", Default: Defaults.TextHiddenSize.ToString()),
        new("layers", "layers of both models", Default: Defaults.TextLayers.ToString()),
        new("llm", "qwen2 (Qwen2ForCausalLM, tokenizer.json), qwen (the original Qwen-7B's QWenLMHeadModel, qwen.tiktoken) or llama (LlamaForCausalLM; needs --tokenizer_from)", Default: Defaults.TextModelType),
        new("vision", "clip or siglip", Default: Defaults.Vision.ToString().ToLowerInvariant()),
        new("image_size", "tower input size", Default: Defaults.ImageSize.ToString()),
        new("patch_size", "tower patch size", Default: Defaults.PatchSize.ToString()),
        new("seed", "random seed", Default: Defaults.Seed.ToString()),
        new("tokenizer_from", "a tokenizer folder (tokenizer.json) to copy into the LLM folder: its vocabulary, with its chat template's image token added, sizes the model (e.g. a Llama 2 or Llama 3 tokenizer for --llm llama)"),
        new("vocabulary_from", "a UTF-8 text file: the qwen2 LLM's vocabulary becomes Qwen2's trimmed to this text's tokens (other text still encodes, in smaller pieces); a far cheaper output head"),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        int hidden = args.Int("hidden", Defaults.TextHiddenSize), layers = args.Int("layers", Defaults.TextLayers);
        int image = args.Int("image_size", Defaults.ImageSize), patch = args.Int("patch_size", Defaults.PatchSize);
        if (hidden < 4 || hidden % 4 != 0) throw new UsageException("--hidden must be a positive multiple of 4 (4 attention heads)");
        if (layers < 1) throw new UsageException("--layers must be at least 1");
        if (patch < 1 || image < patch || image % patch != 0) throw new UsageException("--image_size must be a positive multiple of --patch_size");
        string visionKind = args.ValueOrDefault("vision");
        var kind = VisionConfig.KindNamed(visionKind) ?? throw new UsageException($"--vision must be clip or siglip, not '{visionKind}'");
        string type = args.Value("llm") ?? Defaults.TextModelType;
        var family = TextFamilies.Find(type) ?? throw new UsageException($"--llm must be one of {string.Join(", ", TextFamilies.All.Select(f => f.ModelTypes[0]))}, not '{type}'");
        string? corpus = args.Value("vocabulary_from"), tokenizer = args.Value("tokenizer_from");
        if (corpus is not null && !family.HasTrimmedTokenizer) throw new UsageException($"--vocabulary_from needs --llm {TextFamily.WithTrimmedTokenizer}");
        if (corpus is not null && tokenizer is not null) throw new UsageException("--vocabulary_from and --tokenizer_from cannot be combined");
        if (tokenizer is null && !family.HasTinyTokenizer) throw new UsageException($"--llm {type} needs --tokenizer_from: this project ships no {type} tokenizer");
        if (corpus is not null && !File.Exists(corpus)) throw new FileNotFoundException($"{corpus}: no such text file (--vocabulary_from)", corpus);
        if (tokenizer is not null && !Directory.Exists(tokenizer)) throw new DirectoryNotFoundException($"{tokenizer}: no such tokenizer folder (--tokenizer_from)");
        var (llm, vision) = TinyModelFolders.Write(args.Required("out"), new TinyModelOptions
        {
            VocabularyCorpus = corpus is null ? null : [File.ReadAllText(corpus)], TokenizerFrom = tokenizer,
            TextModelType = type, TextHiddenSize = hidden, TextLayers = layers, TextIntermediateSize = hidden * 2, Vision = kind, VisionHiddenSize = hidden, VisionLayers = layers,
            VisionIntermediateSize = hidden * 2, ImageSize = image, PatchSize = patch, Seed = args.Int("seed"),
        });
        int features = (image / patch) * (image / patch);
        var text = TextTokenizer.Load(llm);
        output.WriteLine($"llm     {llm} ({family}, hidden {hidden}, {layers} layers, vocabulary {text.VocabularySize}{(corpus is null ? "" : $" trimmed to {corpus}")}, {text.Kind} tokenizer included)");
        output.WriteLine($"vision  {vision} ({kind}, {image}px, patch {patch}: {features} image tokens per image; tokenize with --image_tokens {features})");
        return ExitCodes.Ok;
    }
}
