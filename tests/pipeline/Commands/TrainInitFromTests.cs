using System.Text.Json;
using Vlm.Datasets.Tokenizers;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;
using static TorchSharp.torch;

namespace Vlm.Tests.Pipeline.Commands;

/// <summary><c>vlm train --init_from</c>: a fine-tune that starts from a Hugging Face LLaVA folder (here one this project exported), projector included.</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class TrainInitFromTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Training_from_a_llava_folder_starts_from_its_projector_and_answers()
    {
        TinyTrainingRun.Prepare(_root, samples: 6);
        var train = CommandHarness.Run(new TrainCommand(), [.. TinyTrainingRun.Train(_root, "first", batch: 3, steps: 2, saveSteps: 2, loraDropout: 0)[1..]]);
        Assert.True(train.Code == 0, train.Out + train.Err);
        var export = CommandHarness.Run(new ExportCommand(), "--weights", _root.File("first/model"), "--out", _root.File("llava"));
        Assert.True(export.Code == 0, export.Out + export.Err);

        string llava = _root.File("llava");
        long imageToken = TextTokenizer.Load(llava).SpecialTokenId("<|image_pad|>")!.Value;
        using (var exported = VlmModelFolder.ReadLlava(llava))
        using (var based = VlmModelFolder.FromBases(llava, llava, imageToken))
        {
            foreach (var (name, p) in exported.Projector.named_parameters())
                Assert.True(p.eq(based.Projector.named_parameters().Single(q => q.name == name).parameter).all().item<bool>(), $"projector {name} was not taken from the LLaVA folder");
            Assert.Equal(exported.Features, based.Features);
        }

        string[] args = [.. TinyTrainingRun.Train(_root, "second", batch: 3, steps: 2, saveSteps: 2, loraDropout: 0)[1..]];
        int at = Array.IndexOf(args, "--llm");
        args = [.. args[..at], "--init_from", llava, .. args[(at + 4)..]]; // --llm X --vision Y -> --init_from llava
        var again = CommandHarness.Run(new TrainCommand(), args);
        Assert.True(again.Code == 0, again.Out + again.Err);
        using (var spec = JsonDocument.Parse(File.ReadAllBytes(_root.File("second/model/vlm.json"))))
        {
            // Stored relative to the model folder.
            Assert.Equal(Path.GetFullPath(llava), Path.GetFullPath(Path.Combine(_root.File("second/model"), spec.RootElement.GetProperty("llm").GetString()!)));
            Assert.Equal(Path.GetFullPath(llava), Path.GetFullPath(Path.Combine(_root.File("second/model"), spec.RootElement.GetProperty("vision").GetString()!)));
        }
        var predict = CommandHarness.Run(new PredictCommand(), "--weights", _root.File("second/model"), "--image", _root.File("samples/images/shape_00000.png"), "--prompt", "What shape?");
        Assert.True(predict.Code == 0, predict.Out + predict.Err);
    }

    [Fact]
    public void Init_from_with_llm_or_vision_is_a_usage_error()
    {
        var run = CommandHarness.Run(new TrainCommand(), "--data", _root.File("none"), "--init_from", _root.File("a"), "--llm", _root.File("b"));
        Assert.Equal(2, run.Code);
    }
}
