using Microsoft.ML.Data;
using Microsoft.ML;
using TorchSharp;
using Vlm.Datasets.Tokenizers;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Distributed;
using Vlm.Trainers.Features;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Training;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Data;
using Vlm.Transforms.Processing;

namespace Vlm.Trainers.Estimator;

/// <summary>
/// Trains the VLM on shards and returns the answering stage. <c>Fit</c> resumes from the newest
/// complete checkpoint in <c>output_dir</c>, writes the trained model to <c>{output_dir}/model</c>
/// and returns it loaded. Options are checked, and the data and model folders read, before any
/// training starts.
/// </summary>
public sealed class VlmEstimator : IEstimator<VlmTransformer>
{
    /// <summary>The folder in the output folder where <see cref="Fit(IDataView)"/> leaves the trained model.</summary>
    public const string ModelFolderName = VlmModelFolder.ModelName;

    readonly MLContext _ml;
    readonly VlmTrainerOptions _options;

    internal VlmEstimator(MLContext ml, VlmTrainerOptions options)
    {
        _ml = ml;
        _options = options;
    }

    /// <summary>Called at every logging step.</summary>
    public Action<LogEntry>? OnLog { get; set; }
    /// <summary>Called after each evaluation on the validation set.</summary>
    public Action<EvalEntry>? OnEval { get; set; }
    /// <summary>Called after every optimizer step with (step, total steps).</summary>
    public Action<int, int>? OnStep { get; set; }

    public VlmTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Trains on <paramref name="train"/>, evaluating on <paramref name="validation"/> every <c>eval_steps</c>.</summary>
    public VlmTransformer Fit(IDataView train, IDataView? validation, CancellationToken cancellation = default)
    {
        var options = FromShards(train);
        options.Validate();
        if (!options.Resume && VlmModelFolder.LatestCheckpoint(options.OutputDir) is { } checkpoint)
            throw new ResumeRequiredException($"{options.OutputDir} already has checkpoints ({Path.GetFileName(checkpoint)} the newest): set Resume = true to continue from it, or choose another OutputDir");
        string tokenizerPath = options.TokenizerPath ?? options.LlmPath;
        foreach (var (what, path) in new[] { ("llm", options.LlmPath), ("vision", options.VisionPath), ("tokenizer", tokenizerPath) })
        {
            if (string.IsNullOrEmpty(path)) throw new ArgumentException($"the {what} folder is not set");
            if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: no such {what} folder");
        }
        // The rows wait on disk in the output folder while training runs (see TrainingRows), not in memory.
        using var examples = TrainingData.Read(train, options.OutputDir, ImagesBySource(train, options));
        using var held = validation is null ? null : TrainingData.Read(validation, options.OutputDir, ImagesBySource(validation, options));
        var device = TorchDevice.Select(_ml);
        var tokenizer = TextTokenizer.Load(tokenizerPath);
        var encoder = new ConversationEncoder(tokenizer, options.Template);
        // A new projector's weights are drawn while loading: seeded here, or two runs with one seed would differ.
        torch.random.manual_seed(options.Seed);
        var model = VlmModelFolder.FromBases(options.LlmPath, options.VisionPath, encoder.ImageTokenId, new VisionFeatureOptions { Layer = options.VisionFeatureLayer });
        try
        {
            if (model.ImageTokensPerImage != options.Template.ImageTokenCount)
                throw new ArgumentException($"the template puts {options.Template.ImageTokenCount} image tokens per image but the vision tower gives {model.ImageTokensPerImage} features; tokenize the data with ImageTokenCount = {model.ImageTokensPerImage}");
            model.to(device).to(TorchDevice.DType(options.Precision, device));
            using var ranks = Collectives.Create(options.Distributed, DistributedWorld.FromEnvironment(), device, options.RunFingerprint());
            VlmTrainer? trainer = null;
            var processor = new VlmProcessor(encoder, model.VisionTower.Config.ImageProcessor(options.VisionPath));
            using var images = BatchImages(options, model, processor);
            trainer = new VlmTrainer(model, options, images, OnLog, ranks)
            {
                AfterEval = OnEval,
                AfterStep = OnStep is null ? null : step => OnStep(step, trainer!.TotalSteps),
            };
            try
            {
                trainer.Train(examples, held, cancellation);
            }
            catch (Exception e) when (ranks.World.IsDistributed && e is not TrainingInterruptedException)
            {
                // The other ranks may be waiting in a collective for this one: end them all now rather than never.
                Console.Error.WriteLine($"rank {ranks.World.Rank}: {e.Message}; ending every rank");
                ranks.Abort(1);
                throw;
            }

            var spec = new VlmModelSpec
            {
                Llm = Path.GetFullPath(options.LlmPath), Vision = Path.GetFullPath(options.VisionPath), Tokenizer = Path.GetFullPath(tokenizerPath),
                Format = encoder.Template.Format, SystemPrompt = options.Template.SystemPrompt, ImageTokenCount = options.Template.ImageTokenCount,
                VisionFeatureLayer = model.Features.Layer, DropFirstToken = model.Features.DropFirstToken, Train = options.Train, TrainVisionTower = options.TrainVisionTower,
                VisionLora = options.VisionLoraSettings(),
            };
            var lora = options.Train == TrainableParts.ProjectorAndLora ? options.LoraSettings(model.LanguageModel) : null;
            string folder = VlmModelFolder.InOutput(options.OutputDir);
            if (ranks.World.IsMain) VlmModelFolder.Write(model, spec, lora, folder);
            ranks.Barrier(); // every rank returns once the model folder is complete
            return new VlmTransformer(_ml, new VlmPredictor(model, spec, processor) { Folder = folder }, lora, trainer.Log, trainer.EvalLog);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Shards of several image folders (a multi-source run, or several runs read together) with the image
    /// root left at its default: each row's image is found in its own source's folder.
    /// </summary>
    static Func<string, string, string>? ImagesBySource(IDataView data, VlmTrainerOptions options) =>
        options.ImageRoot == new VlmTrainerOptions().ImageRoot && data is Transforms.Shards.ShardDataView shards
            ? (source, image) => shards.ImageFolderOf(source) is { } folder ? Path.Combine(folder, image) : image
            : null;

    /// <summary>A frozen tower's cached features when the options name them, else the images decoded for the tower.</summary>
    static IBatchImages BatchImages(VlmTrainerOptions options, VlmModel model, VlmProcessor processor) => options.VisionFeatures is { } folder
        ? VisionFeatureCache.Open(folder, TowerFingerprint.Of(options.VisionPath, model.Features.Layer, model.DropsFirstToken))
        : new DecodedImages(processor, options.ImageRoot);

    /// <summary>
    /// Shards from <c>ml.Data.LoadShards</c> carry what they were made with: a template left at its default
    /// becomes the manifest's, and so does the image folder left at "." when the shards have one source
    /// folder. A template that differs from the manifest's is refused: the model would be trained and
    /// prompted in another format than the data's.
    /// </summary>
    VlmTrainerOptions FromShards(IDataView train)
    {
        if (train is not Transforms.Shards.ShardDataView { Manifest.Config: { } made }) return _options;
        var options = _options;
        if (options.Template == new ChatTemplateOptions()) options = options with { Template = made.Template };
        else if (options.Template != made.Template)
            throw new ArgumentException($"the shards were tokenized with {Describe(made.Template)} but the options' template is {Describe(options.Template)}; leave Template at its default to use the shards'");
        var folders = made.Sources.Select(s => Path.GetFullPath(s.Images)).Distinct().ToList();
        if (options.ImageRoot == new VlmTrainerOptions().ImageRoot && folders.Count == 1) options = options with { ImageRoot = folders[0] };
        return options;
    }

    static string Describe(ChatTemplateOptions t) =>
        $"{t.Format} (system prompt \"{t.SystemPrompt}\", {t.ImageTokenCount} image tokens{(t.FirstTurnOnly ? ", first turn only" : "")}{(t.SplitSpecialTokens ? ", special tokens split" : "")})";

    /// <summary>
    /// The input's columns plus <c>answer</c> (text). An estimator chain asks this before fitting any
    /// step and then runs each fitted step over the rows it was fitted on, so a chain whose rows the
    /// trained model could not answer (training rows have no <c>prompt</c>) is refused here, before
    /// training, rather than after it.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var prompt = inputSchema.LastOrDefault(c => c.Name == "prompt");
        if (prompt.Name is null || prompt.Kind != SchemaShape.Column.VectorKind.Scalar || prompt.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), "prompt",
                "the trained model answers rows with a 'prompt' text column ('image' or 'image_bytes', and 'history', optional), and a chain runs it over the rows it trained on, "
                + $"which have {(prompt.Name is null ? "no such column" : $"'prompt' of type {prompt.ItemType}")}. "
                + "Fit the trainer by itself (trainer.Fit(train, validation)) and use the model on rows with prompts");
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(SchemaShapes.ToSchema(inputSchema));
        builder.AddColumn("answer", TextDataViewType.Instance);
        return SchemaShapes.From(builder.ToSchema());
    }
}

/// <summary>The output folder holds checkpoints and the options did not ask to resume from them; nothing was trained.</summary>
public sealed class ResumeRequiredException(string message) : InvalidOperationException(message);
