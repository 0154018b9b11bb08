using System.Text.Json;
using Microsoft.ML;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;

namespace Vlm.Tests.Trainers.Estimator;

/// <summary><c>vlm.json</c> records its base folders relative to the model folder: moved together they still load; moved apart, the new places can be given.</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class MovedModelFolderTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    static void CopyTree(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(dir.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(from, to));
    }

    [Fact]
    public void A_model_moved_with_its_bases_loads_and_one_moved_alone_takes_their_new_place()
    {
        string original = _root.File("original");
        string model = TestModels.WriteModelFolder(original);
        using (var spec = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(model, "vlm.json"))))
            Assert.Equal(Path.Combine("..", "bases", "llm"), spec.RootElement.GetProperty("llm").GetString());
        var input = new VlmInput { Image = Path.Combine(original, "shape.png"), Prompt = "What shape?" };
        var generation = new GenerationOptions { MaxNewTokens = 6 };
        string expected;
        using (var loaded = new MLContext().Vlm().LoadFolder(model)) expected = loaded.Answer(input, generation);

        // The whole tree moved: still loads.
        string moved = _root.File("moved");
        CopyTree(original, moved);
        Directory.Delete(original, recursive: true);
        using (var loaded = new MLContext().Vlm().LoadFolder(Path.Combine(moved, "model")))
            Assert.Equal(expected, loaded.Answer(new VlmInput { Image = Path.Combine(moved, "shape.png"), Prompt = input.Prompt }, generation));

        // The model folder alone elsewhere: refused with what to do, then loaded with the bases' places given.
        string alone = _root.File("elsewhere/deeper/model");
        CopyTree(Path.Combine(moved, "model"), alone);
        var e = Assert.Throws<DirectoryNotFoundException>(() => new MLContext().Vlm().LoadFolder(alone));
        Assert.Contains("VlmBaseFolders", e.Message);
        var bases = new VlmBaseFolders { Llm = Path.Combine(moved, "bases", "llm"), Vision = Path.Combine(moved, "bases", "vision") };
        using (var loaded = new MLContext().Vlm().LoadFolder(alone, bases: bases))
        {
            Assert.Equal(Path.Combine(moved, "bases", "llm"), loaded.Predictor.Spec.Tokenizer); // follows the LLM, as it was the LLM's
            Assert.Equal(expected, loaded.Answer(new VlmInput { Image = Path.Combine(moved, "shape.png"), Prompt = input.Prompt }, generation));
        }
    }
}
