using System.Text.Json.Nodes;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Qwen2;
using Vlm.Trainers.Models.Qwen;
using Vlm.Trainers.Models.Vision;
using Vlm.Trainers.Models;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Reference;

/// <summary>
/// <c>vlm reference-check</c> on fixture folders in the reference format. The Qwen-7B fixture's
/// expected outputs come from a different network (the equivalent Qwen2, greedy decoding without a
/// cache), so it checks the architecture as well as the command; the vision and processor fixtures
/// hold this project's own outputs and check only that each kind is read, run and compared.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class ReferenceCheckTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    static void WriteFixture(string folder, string kind, IEnumerable<(string, Tensor)> inputs, IEnumerable<(string, Tensor)> outputs, JsonObject? extra = null)
    {
        Directory.CreateDirectory(folder);
        SafetensorsWriter.Write(Path.Combine(folder, "inputs.safetensors"), inputs.Select(t => KeyValuePair.Create(t.Item1, t.Item2)));
        SafetensorsWriter.Write(Path.Combine(folder, "outputs.safetensors"), outputs.Select(t => KeyValuePair.Create(t.Item1, t.Item2)));
        var json = new JsonObject { ["kind"] = kind, ["checkpoint"] = "model", ["inputs"] = "inputs.safetensors", ["outputs"] = "outputs.safetensors" };
        foreach (var (key, value) in extra ?? []) json[key] = value?.DeepClone();
        File.WriteAllText(Path.Combine(folder, "fixture.json"), json.ToJsonString());
    }

    /// <summary>A Qwen-7B checkpoint folder, with logits and a greedy continuation computed by its Qwen2 twin.</summary>
    string QwenFixture(Action<Tensor>? perturbLogits = null)
    {
        string folder = _root.File("fixtures/qwen-tiny");
        manual_seed(11);
        var twin = new Qwen2ForCausalLM(new Qwen2Config { VocabSize = 64, HiddenSize = 32, IntermediateSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 4, RopeTheta = 10000 });
        var qwen = new QwenLMHeadModel(new QwenConfig { VocabSize = 64, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4, KvChannels = 8 });
        Models.QwenArchitectureTests.CopyInto(twin, qwen);
        VlmModelFolder.WriteHfFolder(qwen, "", qwen.ConfigJson(), Path.Combine(folder, "model"));
        twin.eval();
        using var _ = no_grad();
        var ids = randint(0, 64, [2, 6]);
        var mask = tensor(new long[,] { { 1, 1, 1, 1, 1, 1 }, { 0, 0, 1, 1, 1, 1 } });
        var logits = cat([twin.forward(ids[..1]), zeros(1, 6, 64)], 0);
        logits[1, 2..] = twin.forward(ids[1..2, 2..])[0];
        logits[1, ..2] = 1000; // padding positions: what a model writes there is undefined
        perturbLogits?.Invoke(logits);
        var prompt = ids[..1];
        var generated = prompt;
        for (int i = 0; i < 4; i++) generated = cat([generated, twin.forward(generated)[.., -1].argmax(-1, keepdim: true)], 1);
        WriteFixture(folder, "qwen", [("input_ids", ids), ("attention_mask", mask), ("prompt_ids", prompt)], [("logits", logits), ("generated_ids", generated)],
            new JsonObject { ["tolerance"] = new JsonObject { ["logits"] = 1e-4 } });
        return folder;
    }

    [Fact]
    public void A_qwen_fixture_matches_its_qwen2_twin_and_padding_is_not_compared()
    {
        var (code, output, error) = CommandHarness.Run(new ReferenceCheckCommand(), QwenFixture());
        Assert.True(code == 0, output + error);
        Assert.Contains("logits", output);
        Assert.Matches(@"generated_ids\s+max \|diff\| 0\.00E\+000\s+tolerance 0\s+ok", output);
        Assert.Contains("2 output(s) compared in 1 fixture(s): all within tolerance", output);
    }

    [Fact]
    public void An_output_beyond_its_tolerance_fails_with_exit_code_1()
    {
        string folder = QwenFixture(logits => logits[0, 3, 5] += 2e-3f);
        var (code, output, _) = CommandHarness.Run(new ReferenceCheckCommand(), Path.GetDirectoryName(folder)!); // the parent: every fixture in it
        Assert.Equal(1, code);
        Assert.Matches(@"logits\s+max \|diff\| 2\.00E-003\s+tolerance 0\.0001\s+FAIL", output);
        Assert.Contains("1 over tolerance", output);
    }

    [Fact]
    public void Vision_and_processor_fixtures_are_read_run_and_compared()
    {
        var (_, vision) = TinyModelFolders.Write(_root.File("bases"), new TinyModelOptions
        {
            TextHiddenSize = 16, TextLayers = 1, TextIntermediateSize = 32, VisionHiddenSize = 16, VisionLayers = 3, VisionIntermediateSize = 32, ImageSize = 16, PatchSize = 8, Seed = 2, InitializerRange = 0.5,
        });
        string fixture = _root.File("fixtures/clip");
        CopyFolder(vision, Path.Combine(fixture, "model"));
        using var checkpoint = CheckpointFolder.Open(vision);
        var tower = new VisionTower(VisionConfig.From(checkpoint.Config));
        ModuleWeights.Load(tower, checkpoint, "", key => key);
        tower.eval();
        using (no_grad())
        {
            var pixels = randn(2, 3, 16, 16);
            WriteFixture(fixture, "clip-vision", [("pixel_values", pixels)],
                [("last_hidden_state", tower.LastHiddenState(pixels)), ("hidden_states_m2", tower.Features(pixels, -2, false)), ("pooled", tower.ClipPooled(pixels))]);
        }
        string processor = _root.File("fixtures/processor");
        Directory.CreateDirectory(processor);
        File.Copy(Path.Combine(vision, "preprocessor_config.json"), Path.Combine(processor, "preprocessor_config.json"));
        File.WriteAllBytes(Path.Combine(processor, "red.png"), new Vlm.Datasets.Synthetic.ShapeScene("circle", "red", "large", "center").ToPng(20));
        var preprocessor = VlmProcessor.ForImages(Vlm.Datasets.Images.ImageProcessorConfig.Read(Path.Combine(processor, "preprocessor_config.json")));
        WriteFixture(processor, "image-processor", [], [("pixel_values_red.png", preprocessor.Pixels([Path.Combine(processor, "red.png")]))],
            new JsonObject { ["images"] = new JsonArray("red.png") });

        var (code, output, error) = CommandHarness.Run(new ReferenceCheckCommand(), _root.File("fixtures"));
        Assert.True(code == 0, output + error);
        Assert.Contains("4 output(s) compared in 2 fixture(s): all within tolerance", output);
        Assert.Contains("pixel_values_red.png", output);
    }

    [Fact]
    public void A_folder_without_fixtures_is_a_usage_error()
    {
        Directory.CreateDirectory(_root.File("empty"));
        var (code, _, error) = CommandHarness.Run(new ReferenceCheckCommand(), _root.File("empty"));
        Assert.Equal(2, code);
        Assert.Contains("no fixture.json", error);
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
