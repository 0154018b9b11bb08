using System.Text.Json.Nodes;
using Microsoft.ML;
using Vlm.Datasets.Sources;
using Vlm.Datasets.Synthetic;
using Vlm.Datasets.Tokenizers;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Features;
using Vlm.Trainers.Models;
using Vlm.Trainers.Training;
using Vlm.Transforms;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

namespace Vlm.Pipeline.Demo;

/// <summary>The result of a demo run: exact answers on held-out images.</summary>
internal sealed record DemoResult(int Correct, int Total, string SampleImage, string SampleQuestion, string SampleAnswer)
{
    /// <summary>Where the held-out answers (expected and given) were written.</summary>
    public string AnswersFile { get; init; } = "";
    /// <summary>The trained model folder (<c>vlm chat --weights</c> takes it).</summary>
    public string ModelFolder { get; init; } = "";
    /// <summary>Seconds spent making the data and shards, training, and answering the held-out images.</summary>
    public (double Data, double Training, double Evaluation) Seconds { get; init; }
    /// <summary>The machine's speed just before training and just after answering: bare fp32 GEMM at the demo's LLM sizes, FLOP/s (see <see cref="DemoRun.SpeedReference"/>).</summary>
    public (double Before, double After) Reference { get; init; }
    /// <summary>
    /// The machine's speed over the run, as well as two readings can tell: their mean. One reading alone
    /// was off by up to 3x (36 GFLOP/s at the start of a run that then trained as fast as one that read 100,
    /// while .NET was still compiling the program's hot methods on the other core).
    /// </summary>
    public double ReferenceFlops => (Reference.Before + Reference.After) / 2;

    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;
}

/// <summary>
/// The whole path on built-in data: synthetic shape images with English (LLaVA) and Chinese (AI
/// Challenger) annotations -> the ETL into Parquet shards -> a tiny random CLIP + Qwen2 in Hugging
/// Face format -> training through the ML.NET estimator -> exact-answer accuracy on held-out images
/// through a PredictionEngine.
/// </summary>
internal static class DemoRun
{
    public const string Question = "What shape is in the image?";
    const int ImageSize = 64;
    public const string AnswersFile = "answers.tsv";
    /// <summary>Held-out questions answered per batch (left-padded, one tower pass, each row to its own stop).</summary>
    const int EvaluationBatch = 16;

    public static DemoResult Run(DemoOptions options, Action<string> log, Action<int, int>? onStep = null)
    {
        string root = Path.GetFullPath(options.Output);
        var phase = System.Diagnostics.Stopwatch.StartNew();
        string train = Path.Combine(root, "data", "train"), test = Path.Combine(root, "data", "test"), shards = Path.Combine(root, "shards");
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);

        ShapesDataset.Write(train, options.TrainImages, options.Seed, ImageSize, jitter: true);
        var held = ShapesDataset.Write(test, options.TestImages, options.Seed + 1, ImageSize, jitter: true);
        log($"data       {options.TrainImages} training images (English questions, Chinese captions), {options.TestImages} held-out images -> {Path.Combine(root, "data")}");

        var models = new TinyModelOptions
        {
            TextHiddenSize = options.Hidden, TextLayers = options.Layers, TextIntermediateSize = options.Hidden * 2,
            VisionHiddenSize = options.Hidden, VisionLayers = options.VisionLayers, VisionIntermediateSize = options.Hidden * 2,
            ImageSize = options.ImageSize, PatchSize = options.PatchSize, Seed = options.Seed,
            VocabularyCorpus = Texts(Path.Combine(train, ShapesDataset.LlavaFile), Path.Combine(train, ShapesDataset.AiChallengerFile)),
        };
        var (llm, vision) = TinyModelFolders.Write(Path.Combine(root, "models"), models);
        int imageTokens = (models.ImageSize / models.PatchSize) * (models.ImageSize / models.PatchSize);
        var tokenizer = TextTokenizer.Load(llm);
        log($"models     tiny random Qwen2 (hidden {options.Hidden}, {options.Layers} layers, Qwen2's vocabulary trimmed to the {tokenizer.VocabularySize} tokens of the training texts) and CLIP ({options.VisionLayers} layers, {models.ImageSize}px, {imageTokens} features) -> {Path.Combine(root, "models")}");

        // The first question and answer of each LLaVA record only, as the original trains LLaVA data.
        var template = new ChatTemplateOptions { Format = ChatFormat.Qwen2, SystemPrompt = null, ImageTokenCount = imageTokens, FirstTurnOnly = true };
        var etl = new EtlRunner(tokenizer, new EtlOptions
        {
            Sources =
            [
                new EtlSource(SourceFormat.Llava, Path.Combine(train, ShapesDataset.LlavaFile), Path.Combine(train, ShapesDataset.ImagesFolder)),
                new EtlSource(SourceFormat.AiChallenger, Path.Combine(train, ShapesDataset.AiChallengerFile), Path.Combine(train, ShapesDataset.ImagesFolder)),
            ],
            Output = shards, Template = template, Seed = options.Seed, MaxLength = 512,
        }).RunAsync().GetAwaiter().GetResult();
        var manifest = etl.Manifest ?? throw new InvalidOperationException("the ETL wrote no manifest");
        log($"etl        {manifest.Rows} rows in {etl.ShardsWritten} Parquet shard(s), {manifest.Rejected} rejected -> {shards}");

        var ml = new MLContext(options.Seed);
        string images = Path.Combine(train, ShapesDataset.ImagesFolder), features = Path.Combine(root, "features");
        // A model this small is faster as one copy per core, each on its share of the batch, than as one model splitting
        // every small operation between cores (README, vlm demo: 36k against 25k tokens/s over 800 steps).
        int copies = Math.Clamp(Environment.ProcessorCount, 1, options.BatchSize);
        var trainer = ml.Vlm().Trainer(new VlmTrainerOptions
        {
            LlmPath = llm, VisionPath = vision, Template = template, ImageRoot = images,
            OutputDir = Path.Combine(root, "output"), Train = TrainableParts.Full, VisionFeatures = features,
            PerDeviceTrainBatchSize = options.BatchSize, MaxSteps = options.Steps, WarmupSteps = options.Steps / 20,
            LrSchedulerType = LrSchedule.Cosine, LearningRate = options.LearningRate, FeatureProjLr = options.LearningRate,
            LoggingSteps = Math.Max(1, options.Steps / 10), CpuReplicas = copies, SaveSteps = options.Steps, SaveTotalLimit = 1, Seed = options.Seed,
        });
        trainer.OnLog = entry => log(
            $"step {entry.Step,5}  loss {entry.Loss:F4}  lr {entry.LearningRate:E2}  grad norm {entry.GradNorm:F2}  {entry.TokensPerSecond:F0} tokens/s  data wait {entry.DataWait:P0}");
        trainer.OnStep = onStep;
        double dataSeconds = phase.Elapsed.TotalSeconds;
        double before = SpeedReference();
        log($"reference  {before / 1e9:F1} GFLOP/s of bare fp32 GEMM at the demo's LLM sizes (this machine, now; read again after answering)");
        phase.Restart();
        // As LLaVA trains: the tower frozen, its features computed once per image rather than every step.
        var distinct = DatasetImages.Distinct(ml.Data.LoadShards(shards), (_, image) => Path.Combine(images, image));
        var cache = VisionFeatureCache.Build(vision, distinct, features);
        log($"features   the frozen tower's features of the {cache.Images} training images in {phase.Elapsed.TotalSeconds:F1} s -> {features}");
        log($"training   {copies} model cop{(copies == 1 ? "y" : "ies")} side by side, one per core, each on its share of every batch of {options.BatchSize} (cpu_replicas {copies})");
        using var model = trainer.Fit(ml.Data.LoadShards(shards));
        double trainingSeconds = phase.Elapsed.TotalSeconds;
        phase.Restart();

        // The held-out images answered in batches by the transformer (the same greedy answers as one at a time, tested).
        var questions = Enumerable.Range(0, held.Count)
            .Select(i => new VlmInput { Image = Path.Combine(test, ShapesDataset.ImagesFolder, $"shape_{i:D5}.png"), Prompt = Question }).ToList();
        model.BatchSize = EvaluationBatch;
        var given = ml.Data.CreateEnumerable<VlmOutput>(model.Transform(ml.Data.LoadFromEnumerable(questions)), reuseRowObject: false).Select(o => o.Answer).ToList();
        int correct = 0;
        // Every held-out answer goes to answers.tsv, so a reader can see which attributes fail.
        var answers = new List<string> { "image\texpected\tanswer" };
        for (int i = 0; i < held.Count; i++)
        {
            var scene = held[i];
            string expected = $"A {scene.Size} {scene.Colour} {scene.Shape}.";
            if (given[i] == expected) correct++;
            answers.Add($"{questions[i].Image}\t{expected}\t{given[i].ReplaceLineEndings(" ").Replace('\t', ' ')}");
        }
        File.WriteAllLines(Path.Combine(root, AnswersFile), answers);

        var engine = ml.Model.CreatePredictionEngine<VlmInput, VlmOutput>(model);

        string sample = Path.Combine(root, "sample.png");
        var fresh = ShapeScene.Random(new Random(options.Seed + 2), jitter: true);
        File.WriteAllBytes(sample, fresh.ToPng(ImageSize));
        string sampleAnswer = engine.Predict(new VlmInput { Image = sample, Prompt = Question }).Answer;
        double after = SpeedReference();
        return new DemoResult(correct, held.Count, sample, Question, sampleAnswer)
        {
            AnswersFile = Path.Combine(root, AnswersFile), ModelFolder = VlmModelFolder.InOutput(Path.Combine(root, "output")),
            Seconds = (dataSeconds, trainingSeconds, phase.Elapsed.TotalSeconds), Reference = (before, after),
        };
    }

    /// <summary>
    /// A fixed workload independent of this project's code: libtorch's fp32 matrix products at the demo
    /// LLM's sizes (<see cref="Bench.StepShape.Demo"/>), the median of three rounds of 200 (about a
    /// second). This machine's speed moves up to 2.5x between days; a demo's time times this rate puts
    /// runs of different days in one unit.
    /// </summary>
    internal static double SpeedReference()
    {
        var rounds = Enumerable.Range(0, 3).Select(_ => Bench.StepShape.Demo.GemmRate(repeats: 200)).Order().ToList();
        return rounds[1];
    }

    // What the model reads and writes: the chat template's role lines and the annotation texts
    // (LLaVA turns without their image tag, AI Challenger captions).
    static List<string> Texts(string llavaFile, string aiChallengerFile)
    {
        var texts = new List<string> { "system\n", "user\n", "assistant\n" };
        foreach (var record in JsonNode.Parse(File.ReadAllText(llavaFile))!.AsArray())
            foreach (var turn in record!["conversations"]!.AsArray())
                texts.AddRange(turn!["value"]!.GetValue<string>().Split(ConversationRecord.ImageTag));
        foreach (var record in JsonNode.Parse(File.ReadAllText(aiChallengerFile))!.AsArray())
            texts.AddRange(record!["caption"]!.AsArray().Select(caption => caption!.GetValue<string>()));
        return texts;
    }
}
