namespace Vlm.Transforms.Evaluation;

/// <summary>What the predictions answer: captions (BLEU, ROUGE-L, CIDEr-D), VQA questions (VQAv2 accuracy), or exact answers (the share equal to a reference).</summary>
public enum EvaluationTask { Caption, Vqa, Exact }

/// <summary>Scores predictions for a task: metric name -> value, in a fixed order.</summary>
public static class Evaluator
{
    public static IReadOnlyList<(string Name, double Value)> Score(IReadOnlyList<Prediction> predictions, EvaluationTask task, CaptionTokenization tokenization = CaptionTokenization.Words)
    {
        if (predictions.Count == 0) throw new ArgumentException("no predictions to score", nameof(predictions));
        return task switch
        {
            EvaluationTask.Caption => [.. CaptionMetrics.Score([.. predictions.Select(p => new CaptionSample(p.Id,
                CaptionTokenizer.Tokenize(p.Text, tokenization), [.. p.References.Select(r => CaptionTokenizer.Tokenize(r, tokenization))]))]).Named()],
            EvaluationTask.Vqa => [("VQA", VqaAccuracy.Mean(predictions.Select(p => (p.Text, p.References))))],
            // Exact: the answer, trimmed, equal to one of the references, trimmed (case and all).
            _ => [("EXACT", predictions.Count(p => p.References.Any(r => r.Trim() == p.Text.Trim())) / (double)predictions.Count)],
        };
    }
}
