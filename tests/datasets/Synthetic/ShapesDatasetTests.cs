using Vlm.Datasets.Synthetic;
using Vlm.Tests.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

namespace Vlm.Tests.Datasets.Synthetic;

[Collection(TokenizerCollection.Name)]
public class ShapesDatasetTests(TokenizerFixture tokenizers)
{
    static string Samples => Path.Combine(AppContext.BaseDirectory, "samples");

    [Fact]
    public void The_shipped_samples_are_exactly_what_the_generator_writes()
    {
        using var temp = new TempFolder();
        ShapesDataset.Write(temp.Path, 24, seed: 42);
        var shipped = Directory.GetFiles(Samples, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Samples, f)).Order().ToList();
        var made = Directory.GetFiles(temp.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(temp.Path, f)).Order().ToList();
        Assert.Equal(made, shipped);
        foreach (var file in made)
            Assert.True(File.ReadAllBytes(Path.Combine(temp.Path, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(Samples, file))), file);
    }

    [Fact]
    public async Task Every_shipped_format_goes_through_the_etl_without_a_reject()
    {
        using var output = new TempFolder();
        string images = Path.Combine(Samples, ShapesDataset.ImagesFolder);
        var manifest = (await new EtlRunner(tokenizers.Qwen, new EtlOptions
        {
            Sources =
            [
                new(SourceFormat.Llava, Path.Combine(Samples, ShapesDataset.LlavaFile), images),
                new(SourceFormat.Jsonl, Path.Combine(Samples, ShapesDataset.LlavaJsonlFile), images),
                new(SourceFormat.AiChallenger, Path.Combine(Samples, ShapesDataset.AiChallengerFile), images),
                new(SourceFormat.Coco, Path.Combine(Samples, ShapesDataset.CocoFile), images),
            ],
            Output = output.Path,
            Template = new ChatTemplateOptions { ImageTokenCount = 16 },
        }).RunAsync()).Manifest!;
        Assert.Equal(0, manifest.Rejected);
        Assert.Equal(24 + 24 + 24 + 48, manifest.Rows);
    }

    [Fact]
    public void Another_seed_draws_other_scenes()
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        Assert.False(ShapesDataset.Write(a.Path, 10, seed: 1).SequenceEqual(ShapesDataset.Write(b.Path, 10, seed: 2)));
        Assert.True(ShapesDataset.Write(a.Path, 10, seed: 1).SequenceEqual(ShapesDataset.Write(b.Path, 10, seed: 1)));
    }
}
