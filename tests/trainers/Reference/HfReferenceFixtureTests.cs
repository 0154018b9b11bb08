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

    /// <summary>
    /// The bfloat16 check a CUDA machine runs (<c>--precision bf16</c>), here on the CPU: every model output
    /// within the relative bound, and really rounded (a float32 run would be 1e-6 off, not 1e-3).
    /// </summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void In_bfloat16_every_model_output_is_within_the_relative_bound_and_really_rounded(string name)
    {
        var fixture = ReferenceFixture.Read(Path.Combine(Root, name));
        var results = ReferenceCheck.Run(fixture, new ReferencePlacement(TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.BFloat16));
        foreach (var result in results.Where(r => !r.Skipped))
        {
            Assert.True(result.Passed, $"{name} {result.Output}: {result.MaxAbsDiff} over {result.Tolerance} {result.Problem}");
            if (fixture.Kind == "image-processor") continue; // no model: no rounding to see
            Assert.True(result.Relative, $"{name} {result.Output} was not judged by relative error");
            Assert.True(result.MaxAbsDiff > 1e-4, $"{name} {result.Output}: relative error {result.MaxAbsDiff}: the model did not run in bfloat16");
        }
        Assert.All(results.Where(r => r.Skipped), r => Assert.Equal("generated_ids", r.Output));
    }

    [Fact]
    public void In_bfloat16_an_output_off_by_five_percent_fails()
    {
        using var copy = new TempFolder();
        foreach (string file in Directory.GetFiles(Path.Combine(Root, "qwen2"), "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy.Path, Path.GetRelativePath(Path.Combine(Root, "qwen2"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var fixture = ReferenceFixture.Read(copy.Path);
        var outputs = new Dictionary<string, TorchSharp.torch.Tensor>();
        using (var file = Vlm.Trainers.Checkpoints.SafetensorsFile.Open(fixture.Outputs))
            foreach (string name in file.Names) outputs[name] = name == "logits" ? file.Read(name) * 1.05 : file.Read(name);
        Vlm.Trainers.Checkpoints.SafetensorsWriter.Write(fixture.Outputs, outputs);

        var results = ReferenceCheck.Run(fixture, new ReferencePlacement(TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.BFloat16));
        Assert.False(results.Single(r => r.Output == "logits").Passed);
        Assert.True(results.Single(r => r.Output == "last_hidden_state").Passed);
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
