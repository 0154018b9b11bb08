using System.Text.RegularExpressions;

namespace Vlm.Transforms.Evaluation;

/// <summary>
/// VQAv2's accuracy as its official evaluation (vqaEval.py, the repository's current version) computes
/// it, quirks included. Newlines and tabs become spaces and the ends are trimmed, in the prediction and
/// the ten human answers. Only when the human answers are not all the same are the prediction and the
/// answers normalised: punctuation (each listed character removed, or made a space, depending on the
/// original text; periods not before a digit removed, at most 32, since the code passes re.UNICODE
/// where re.sub takes its count), then lower-case, number words to digits, articles dropped and
/// contractions restored. Each answer is left out in turn and the prediction scores
/// min(1, matches among the other nine / 3); the question's accuracy is their mean.
/// </summary>
public static partial class VqaAccuracy
{
    static readonly string[] Punctuation = [";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"];
    static readonly HashSet<string> Articles = ["a", "an", "the"];
    // Python's str.strip() with no argument: ASCII and Unicode whitespace.
    static readonly char[] PythonWhitespace = [.. Enumerable.Range(0, 0x3001).Select(c => (char)c).Where(char.IsWhiteSpace), '\u001c', '\u001d', '\u001e', '\u001f'];
    static readonly Dictionary<string, string> NumberWords = new()
    {
        ["none"] = "0", ["zero"] = "0", ["one"] = "1", ["two"] = "2", ["three"] = "3", ["four"] = "4", ["five"] = "5",
        ["six"] = "6", ["seven"] = "7", ["eight"] = "8", ["nine"] = "9", ["ten"] = "10",
    };

    /// <summary>One question's accuracy (0-1) for <paramref name="prediction"/> against the human <paramref name="answers"/>.</summary>
    public static double Score(string prediction, IReadOnlyList<string> answers)
    {
        if (answers.Count == 0) throw new ArgumentException("no human answers", nameof(answers));
        static string Clean(string text) => text.Replace('\n', ' ').Replace('\t', ' ').Trim(PythonWhitespace);
        string predicted = Clean(prediction);
        var human = answers.Select(Clean).ToList();
        if (human.Distinct(StringComparer.Ordinal).Count() > 1)
        {
            human = [.. human.Select(a => DigitArticle(Punct(a)))];
            predicted = DigitArticle(Punct(predicted));
        }
        double sum = 0;
        for (int i = 0; i < human.Count; i++)
        {
            int matches = 0;
            for (int j = 0; j < human.Count; j++)
                if (j != i && human[j] == predicted) matches++;
            sum += Math.Min(1, matches / 3.0);
        }
        return sum / human.Count;
    }

    /// <summary>The mean over questions.</summary>
    public static double Mean(IEnumerable<(string Prediction, IReadOnlyList<string> Answers)> questions)
    {
        var scores = questions.Select(q => Score(q.Prediction, q.Answers)).ToList();
        return scores.Count > 0 ? scores.Sum() / scores.Count : throw new ArgumentException("no questions to score", nameof(questions));
    }

    static string Punct(string text)
    {
        string output = text;
        bool digitCommaDigit = CommaStrip().IsMatch(text);
        foreach (var p in Punctuation)
            output = text.Contains(p + " ", StringComparison.Ordinal) || text.Contains(" " + p, StringComparison.Ordinal) || digitCommaDigit
                ? output.Replace(p, "", StringComparison.Ordinal)
                : output.Replace(p, " ", StringComparison.Ordinal);
        return PeriodStrip().Replace(output, "", 32);
    }

    static string DigitArticle(string text)
    {
        var words = new List<string>();
        foreach (var word in text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            string w = NumberWords.GetValueOrDefault(word, word);
            if (!Articles.Contains(w)) words.Add(w);
        }
        return string.Join(' ', words.Select(w => VqaContractions.Map.GetValueOrDefault(w, w)));
    }

    [GeneratedRegex(@"(\d)(,)(\d)")]
    private static partial Regex CommaStrip();

    // "(?!<=\d)" in the original is a lookahead for the text "<=" and a digit, not a lookbehind: kept as written.
    [GeneratedRegex(@"(?!<=\d)(\.)(?!\d)")]
    private static partial Regex PeriodStrip();
}
