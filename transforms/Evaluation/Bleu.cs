namespace Vlm.Transforms.Evaluation;

/// <summary>pycocoevalcap's <c>BleuScorer.compute_score(option='closest')</c>: corpus BLEU-1..4.</summary>
internal static class Bleu
{
    const int N = 4;
    const double Small = 1e-9, Tiny = 1e-15;

    public static double[] Corpus(IReadOnlyList<CaptionSample> samples)
    {
        double testLength = 0, refLength = 0;
        var guess = new double[N];
        var correct = new double[N];
        foreach (var sample in samples)
        {
            var maxCounts = new Dictionary<string, int>(StringComparer.Ordinal);
            var lengths = new List<int>();
            foreach (var reference in sample.References)
            {
                var words = Ngrams.Words(reference);
                lengths.Add(words.Length);
                foreach (var (ngram, count) in Ngrams.Count(words, N)) maxCounts[ngram] = Math.Max(maxCounts.GetValueOrDefault(ngram), count);
            }
            var test = Ngrams.Words(sample.Prediction);
            // min((abs(l - testlen), l) for l in reflen)[1]: the closest length, the shorter on a tie.
            refLength += lengths.MinBy(l => (Math.Abs(l - test.Length), l));
            testLength += test.Length;
            for (int k = 1; k <= N; k++) guess[k - 1] += Math.Max(0, test.Length - k + 1);
            foreach (var (ngram, count) in Ngrams.Count(test, N)) correct[Ngrams.Order(ngram) - 1] += Math.Min(maxCounts.GetValueOrDefault(ngram), count);
        }
        var scores = new double[N];
        double bleu = 1;
        for (int k = 0; k < N; k++)
        {
            bleu *= (correct[k] + Tiny) / (guess[k] + Small);
            scores[k] = Math.Pow(bleu, 1.0 / (k + 1));
        }
        double ratio = (testLength + Tiny) / (refLength + Small);
        if (ratio < 1)
            for (int k = 0; k < N; k++) scores[k] *= Math.Exp(1 - 1 / ratio);
        return scores;
    }
}
