using System.Text;
using Vlm.Datasets.Tokenizers;

namespace Vlm.Tests.Datasets.Tokenizers;

public class UnicodeNormalizerTests
{
    [Fact]
    public void Composes_like_string_normalize_on_valid_text() =>
        Assert.Equal("café Å", UnicodeNormalizer.Normalize("cafe\u0301 A\u030A", NormalizationForm.FormC));

    [Fact]
    public void Passes_lone_surrogates_and_noncharacters_through_and_normalizes_around_them() =>
        Assert.Equal("é\uD800é\uFFFEé\uFFFF\uDC00", UnicodeNormalizer.Normalize("e\u0301\uD800e\u0301\uFFFEe\u0301\uFFFF\uDC00", NormalizationForm.FormC));

    [Fact]
    public void Never_throws_on_any_basic_plane_character()
    {
        for (int c = 0; c <= 0xFFFF; c++)
            UnicodeNormalizer.Normalize("a" + (char)c + "e\u0301", NormalizationForm.FormC);
    }

    [Fact]
    public void Normalization_is_available_in_this_process() => UnicodeNormalizer.EnsureAvailable();
}
