using Vlm.Transforms.Evaluation;

namespace Vlm.Tests.Transforms.Evaluation;

/// <summary>CIDEr-D's document frequencies and length penalty on corpora small enough to work out by hand.</summary>
public class CiderByHandTests
{
    static double Cider(params (string Prediction, string Reference)[] samples) =>
        CaptionMetrics.Score([.. samples.Select((s, i) => new CaptionSample(i.ToString(), s.Prediction, [s.Reference]))]).Cider;

    [Fact]
    public void Idf_is_the_log_of_images_over_documents_and_an_ngram_in_every_image_weighs_nothing()
    {
        // Two images, so every weight is tf * (ln 2 - ln df).
        // Image 0, "a b" against "a b": "a", "b" and "a b" occur only in image 0's references (df 1): each weighs ln 2.
        //   1-grams: cosine of (ln2, ln2) with itself = 1; 2-grams: 1; 3- and 4-grams: none, 0.
        //   Length (pycocoevalcap counts bigrams): 1 and 1, no penalty. Score: 10 * (1 + 1 + 0 + 0) / 4 = 5.
        // Image 1, "c" against "c": the 1-gram cosine is 1, nothing longer: 10 * 1 / 4 = 2.5. Mean: 3.75.
        Assert.Equal(3.75, Cider(("a b", "a b"), ("c", "c")), 12);
        // "a" in both images' references: df 2, weight ln 2 - ln 2 = 0, so image 1 ("a" against "a") scores 0,
        // and in image 0 only "b" and "a b" count: 1-gram cosine (0, ln2).(0, ln2) / |.|^2 = 1 still. Mean: 5 / 2.
        Assert.Equal(2.5, Cider(("a b", "a b"), ("a", "a")), 12);
    }

    [Fact]
    public void The_length_penalty_uses_the_bigram_counts_with_sigma_six()
    {
        // One image, so ln(1) = 0 and every weight is -ln(max(1, df)) = 0 for df 1: all cosines are 0 ...
        Assert.Equal(0, Cider(("a b c", "a b c")), 12);
        // ... so use two images: image 1 "z" against "z" scores 2.5 as above; image 0 predicts "a b c" against "a b c d e f g h":
        // its bigram count 2 against the reference's 7 gives a penalty of exp(-(5^2) / (2 * 6^2)) = exp(-25/72).
        // 1-grams: hyp (ln2 x3), ref (ln2 x8): dot 3 (ln2)^2 over sqrt(3) sqrt(8) (ln2)^2 = 3 / sqrt(24);
        // 2-grams: 2 / sqrt(2 * 7); 3-grams: 1 / sqrt(1 * 6); 4-grams: none in the hypothesis, 0.
        double image0 = 10 * (3 / Math.Sqrt(24) + 2 / Math.Sqrt(14) + 1 / Math.Sqrt(6)) / 4 * Math.Exp(-25.0 / 72);
        Assert.Equal((image0 + 2.5) / 2, Cider(("a b c", "a b c d e f g h"), ("z", "z")), 12);
    }
}
