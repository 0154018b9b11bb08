using Vlm.Datasets.Sources;
using Vlm.Pipeline.Cli;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Evaluation;

namespace Vlm.Pipeline.Evaluation;

/// <summary>
/// A model's answers to annotation records, as predictions to score: for LLaVA JSON/JSONL the first
/// question (with its image) and the first answer as the reference; for AI Challenger and COCO the
/// caption prompt and every caption of the image as references (the Chinese prompt for AI
/// Challenger, the English one for COCO). Rejected records are skipped and counted.
/// </summary>
internal static class EvalGeneration
{
    /// <summary>Questions answered together (left-padded batches: the same greedy answers, several times faster).</summary>
    const int BatchSize = 8;

    public static IReadOnlyList<Prediction> Answer(Func<VlmTransformer> load, string data, string format, string? images, EvaluationTask task, GenerationOptions generation, int limit, TextWriter output)
    {
        if (!File.Exists(data)) throw new FileNotFoundException($"{data}: no such annotation file", data);
        string root = images ?? Path.GetDirectoryName(Path.GetFullPath(data))!;
        var questions = Questions(data, format).Take(limit).ToList();
        if (questions.Count == 0) throw new InvalidDataException($"{data}: no usable records to answer");
        using var model = load();
        var predictions = new List<Prediction>();
        using var progress = ProgressReporter.Create(output, "answers", questions.Count, logEvery: 100);
        foreach (var batch in questions.Chunk(BatchSize))
        {
            var inputs = batch.Select(q => new VlmInput { Prompt = q.Prompt, Image = q.Image is null ? "" : Path.Combine(root, q.Image) }).ToList();
            var answers = model.Predictor.Answers(inputs, generation);
            predictions.AddRange(batch.Zip(answers, (q, answer) => new Prediction(q.Id, answer, q.References, q.Image)));
            progress.Report(predictions.Count);
        }
        return predictions;
    }

    /// <summary>The training log next to a trained model folder (its output_dir's newest checkpoint's trainer_state.json), or null.</summary>
    public static string? TrainingLog(string weights)
    {
        string? outputDir = Path.GetDirectoryName(Path.GetFullPath(weights).TrimEnd(Path.DirectorySeparatorChar));
        return outputDir is not null && VlmModelFolder.LatestCheckpoint(outputDir) is { } checkpoint ? Path.Combine(checkpoint, VlmModelFolder.StateFile) : null;
    }

    static IEnumerable<(string Id, string? Image, string Prompt, IReadOnlyList<string> References)> Questions(string data, string format)
    {
        switch (format)
        {
            case "llava" or "jsonl":
                foreach (var item in format == "llava" ? LlavaJsonSource.Read(data) : LlavaJsonlSource.Read(data))
                    if (item.Record is { Turns.Count: >= 2 } record && record.Turns[0].Speaker == Speaker.Human)
                    {
                        // The image goes with the question, as the predictor adds it; the tag itself is not part of the question.
                        string question = record.Turns[0].Text.Replace(ConversationRecord.ImageTag, "").Trim();
                        yield return (record.Id, record.Image, question, [record.Turns[1].Text]);
                    }
                break;
            case "aichallenger" or "coco":
                string prompt = format == "coco" ? CaptionPolicy.EnglishPrompts[0] : CaptionPolicy.AiChallengerPrompts[0];
                foreach (var item in format == "coco" ? CocoCaptionsSource.Read(data) : AiChallengerSource.Read(data))
                    if (item.Record is { } record) yield return (record.Id, record.Image, prompt, record.Captions);
                break;
            default:
                throw new UsageException($"--format must be llava, jsonl, aichallenger or coco, not '{format}'");
        }
    }
}
