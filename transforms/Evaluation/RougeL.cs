namespace Vlm.Transforms.Evaluation;

/// <summary>pycocoevalcap's <c>Rouge.calc_score</c>: ROUGE-L from the longest common subsequence, beta 1.2.</summary>
internal static class RougeL
{
    const double Beta = 1.2;

    public static double Score(string candidate, IReadOnlyList<string> references)
    {
        // split(" "), not split(): an empty caption is one empty token, as there.
        var tokens = candidate.Split(' ');
        double precision = 0, recall = 0;
        foreach (var reference in references)
        {
            var referenceTokens = reference.Split(' ');
            int lcs = LongestCommonSubsequence(referenceTokens, tokens);
            precision = Math.Max(precision, lcs / (double)tokens.Length);
            recall = Math.Max(recall, lcs / (double)referenceTokens.Length);
        }
        return precision != 0 && recall != 0 ? (1 + Beta * Beta) * precision * recall / (recall + Beta * Beta * precision) : 0;
    }

    static int LongestCommonSubsequence(string[] a, string[] b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        foreach (var x in a)
        {
            for (int j = 1; j <= b.Length; j++)
                current[j] = x == b[j - 1] ? previous[j - 1] + 1 : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
