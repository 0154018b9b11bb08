using System.Globalization;
using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Evaluation;
using Vlm.Transforms.Evaluation;

namespace Vlm.Pipeline.Commands;

/// <summary>
/// <c>vlm eval</c>: the metrics captioning and VQA users report. With <c>--predictions</c> it scores
/// predictions made anywhere (no model); with <c>--weights</c> and <c>--data</c> it first answers every
/// record of the data with the model (<see cref="EvalGeneration"/>). Prints one <c>NAME: value</c>
/// line per metric at full precision; with <c>--out</c> also writes predictions, <c>metrics.json</c>
/// and <c>report.md</c> with its charts.
/// </summary>
internal sealed class EvalCommand : ICommand
{
    public string Name => "eval";
    public string Summary => "caption (BLEU, ROUGE-L, CIDEr-D) and VQA metrics of a model, or of predictions made elsewhere";
    public string Example => "vlm eval --predictions preds.jsonl --task caption   (or: vlm eval --weights ./out/model --data datasets/samples/llava.json --format llava --images datasets/samples/images --task exact --out ./eval)";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("predictions", "JSONL to score: one {id, prediction, references[, image]} per line (no model needed)"),
        new("weights", "a trained model folder (vlm train's output_dir/model) to answer --data with"),
        new("data", "annotations to answer (with --weights): a file in any vlm prepare format"),
        new("format", "--data's format: llava, jsonl, aichallenger or coco", Default: "llava"),
        new("images", "folder --data's image paths are relative to", Default: "the annotation file's folder"),
        new("task", "caption (BLEU-1..4, ROUGE-L, CIDEr), vqa (VQAv2 accuracy; references = the ten human answers) or exact", Required: true),
        new("tokenize", "caption tokenization: words (lower-case, punctuation dropped as COCO's evaluation does) or chars (one token per character, for Chinese)", Default: "words"),
        new("limit", "answer at most this many records of --data", Default: "all"),
        new("out", "folder for predictions.jsonl, metrics.json, report.md and its charts"),
        .. GenerationArguments.Options,
        .. ModelArguments.Placement,
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        var task = (args.Required("task")) switch
        {
            "caption" => EvaluationTask.Caption,
            "vqa" => EvaluationTask.Vqa,
            "exact" => EvaluationTask.Exact,
            var other => throw new UsageException($"--task must be caption, vqa or exact, not '{other}'"),
        };
        var tokenization = (args.ValueOrDefault("tokenize")) switch
        {
            "words" => CaptionTokenization.Words,
            "chars" => CaptionTokenization.Chars,
            var other => throw new UsageException($"--tokenize must be words or chars, not '{other}'"),
        };
        string? predictionsFile = args.Value("predictions"), weights = args.Value("weights");
        if ((predictionsFile is null) == (weights is null)) throw new UsageException("give either --predictions (score a file) or --weights with --data (answer, then score)");
        IReadOnlyList<Prediction> predictions;
        string? trainingLog = null;
        if (predictionsFile is not null) predictions = PredictionFile.Read(predictionsFile);
        else
        {
            string data = args.Value("data") ?? throw new UsageException("--weights needs --data: the annotations to answer");
            int limit = args.Value("limit") is null or "all" ? int.MaxValue : args.Int("limit", int.MaxValue);
            predictions = EvalGeneration.Answer(() => ModelArguments.Load(args, weights!), data, args.ValueOrDefault("format"), args.Value("images"), task, GenerationArguments.Parse(args), limit, output);
            trainingLog = EvalGeneration.TrainingLog(weights!);
        }
        var metrics = Evaluator.Score(predictions, task, tokenization);
        foreach (var (name, value) in metrics) output.WriteLine($"{name}: {value.ToString("R", CultureInfo.InvariantCulture)}");
        if (args.Value("out") is { } folder)
        {
            EvalReport.Write(folder, predictions, metrics, task, tokenization, trainingLog);
            output.WriteLine($"report -> {Path.Combine(Path.GetFullPath(folder), EvalReport.ReportFile)}");
        }
        return ExitCodes.Ok;
    }
}
