using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Reference;

namespace Vlm.Tests.Trainers.Reference;

/// <summary>
/// Hugging Face's own outputs (<c>data/hf-reference/</c>: transformers 4.45.1, peft 0.13.2, the
/// original Qwen-7B remote code; each folder's README names the calls) against this project's
/// models and image processors, through the code <c>vlm reference-check</c> runs. Every folder in
/// the format is a case, so a fixture added there is checked without a code change.
/// </summary>
public class HfReferenceFixtureTests
{
    static string Root => Path.Combine(AppContext.BaseDirectory, "data", "hf-reference");

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (string folder in Directory.GetDirectories(Root).Where(ReferenceFixture.IsFixture).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(folder));
        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Every_output_of_the_fixture_is_within_its_tolerance(string name)
    {
        var results = ReferenceCheck.Run(ReferenceFixture.Read(Path.Combine(Root, name)));
        Assert.NotEmpty(results);
        foreach (var result in results)
        {
            Assert.False(result.Skipped, $"{name} {result.Output}: skipped ({result.Problem})");
            Assert.True(result.Passed, $"{name} {result.Output}: max |diff| {result.MaxAbsDiff} over {result.Tolerance} {result.Problem}");
        }
    }

    [Fact]
    public void The_image_processor_fixtures_are_equal_to_the_last_bit_and_their_decoded_inputs_exactly()
    {
        foreach (string name in new[] { "image-processor-clip", "image-processor-siglip" })
        {
            var results = ReferenceCheck.Run(ReferenceFixture.Read(Path.Combine(Root, name)));
            Assert.Contains(results, r => r.Output.StartsWith("rgb_", StringComparison.Ordinal));
            Assert.Contains(results, r => r.Output.StartsWith("pixel_values_", StringComparison.Ordinal));
            Assert.All(results, r => Assert.Equal(0, r.MaxAbsDiff));
        }
    }

    [Fact]
    public void The_command_passes_on_the_whole_folder()
    {
        var (code, output, error) = CommandHarness.Run(new ReferenceCheckCommand(), Root);
        Assert.True(code == 0, output + error);
        Assert.Matches(@"\d+ output\(s\) compared in 16 fixture\(s\): all within tolerance\r?\n?$", output);
        Assert.DoesNotContain("skipped", output);
    }
}
