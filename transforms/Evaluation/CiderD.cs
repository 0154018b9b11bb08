namespace Vlm.Transforms.Evaluation;

/// <summary>pycocoevalcap's <c>CiderScorer</c> (CIDEr-D: clipped tf-idf, Gaussian length penalty with sigma 6, times 10).</summary>
internal static class CiderD
{
    const int N = 4;
    const double Sigma = 6;

    public static double Corpus(IReadOnlyList<CaptionSample> samples)
    {
        var references = samples.Select(s => s.References.Select(r => Ngrams.Count(Ngrams.Words(r), N)).ToList()).ToList();
        // Document frequency: in how many samples' references each n-gram occurs.
        var documentFrequency = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var refs in references)
            foreach (var ngram in refs.SelectMany(r => r.Keys).Distinct())
                documentFrequency[ngram] = documentFrequency.GetValueOrDefault(ngram) + 1;
        double refLength = Math.Log(samples.Count);

        (Dictionary<string, double>[] Vector, double[] Norm, int Length) Vectorise(Dictionary<string, int> counts)
        {
            var vector = Enumerable.Range(0, N).Select(_ => new Dictionary<string, double>(StringComparer.Ordinal)).ToArray();
            var norm = new double[N];
            int length = 0;
            foreach (var (ngram, termFrequency) in counts)
            {
                double df = Math.Log(Math.Max(1.0, documentFrequency.GetValueOrDefault(ngram)));
                int n = Ngrams.Order(ngram) - 1;
                double value = termFrequency * (refLength - df);
                vector[n][ngram] = value;
                norm[n] += value * value;
                if (n == 1) length += termFrequency; // pycocoevalcap's quirk: the "length" is the bigram count
            }
            for (int n = 0; n < N; n++) norm[n] = Math.Sqrt(norm[n]);
            return (vector, norm, length);
        }

        double total = 0;
        for (int i = 0; i < samples.Count; i++)
        {
            var (vector, norm, length) = Vectorise(Ngrams.Count(Ngrams.Words(samples[i].Prediction), N));
            var score = new double[N];
            foreach (var reference in references[i])
            {
                var (referenceVector, referenceNorm, referenceLength) = Vectorise(reference);
                double delta = length - referenceLength;
                for (int n = 0; n < N; n++)
                {
                    double value = 0;
                    foreach (var (ngram, weight) in vector[n])
                    {
                        double r = referenceVector[n].GetValueOrDefault(ngram);
                        value += Math.Min(weight, r) * r;
                    }
                    if (norm[n] != 0 && referenceNorm[n] != 0) value /= norm[n] * referenceNorm[n];
                    score[n] += value * Math.Pow(Math.E, -(delta * delta) / (2 * Sigma * Sigma));
                }
            }
            total += score.Average() / references[i].Count * 10.0;
        }
        return total / samples.Count;
    }
}
