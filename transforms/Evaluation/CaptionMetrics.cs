namespace Vlm.Transforms.Evaluation;

/// <summary>One captioned image: the model's caption and the human references, both already tokenized (space-joined).</summary>
public sealed record CaptionSample(string Id, string Prediction, IReadOnlyList<string> References);

/// <summary>BLEU-1..4, ROUGE-L and CIDEr-D over a set, as pycocoevalcap computes them.</summary>
public sealed record CaptionScores(double Bleu1, double Bleu2, double Bleu3, double Bleu4, double RougeL, double Cider)
{
    public IEnumerable<(string Name, double Value)> Named() =>
        [("BLEU-1", Bleu1), ("BLEU-2", Bleu2), ("BLEU-3", Bleu3), ("BLEU-4", Bleu4), ("ROUGE-L", RougeL), ("CIDEr", Cider)];
}

/// <summary>
/// The COCO caption metrics with pycocoevalcap's exact definitions (its bleu_scorer.py, rouge.py and
/// cider_scorer.py read line by line), over tokenized text: BLEU with the closest reference length
/// (ties to the shorter) and the corpus-level brevity penalty, including its 1e-15 / 1e-9 guards;
/// ROUGE-L with beta 1.2 from the best precision and the best recall over the references; CIDEr-D with
/// sigma 6, clipped tf-idf, the document frequencies of the evaluated set's references, and the
/// length penalty on its "length" (which pycocoevalcap counts as the number of bigrams).
/// </summary>
public static class CaptionMetrics
{
    public static CaptionScores Score(IReadOnlyList<CaptionSample> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("no predictions to score", nameof(samples));
        foreach (var s in samples)
            if (s.References.Count == 0) throw new ArgumentException($"{s.Id}: no references", nameof(samples));
        var bleu = Bleu.Corpus(samples);
        return new CaptionScores(bleu[0], bleu[1], bleu[2], bleu[3], samples.Average(s => RougeL.Score(s.Prediction, s.References)), CiderD.Corpus(samples));
    }
}
