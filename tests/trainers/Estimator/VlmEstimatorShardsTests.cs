using Microsoft.ML;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Training;
using Vlm.Transforms;
using Vlm.Transforms.Conversations;

namespace Vlm.Tests.Trainers.Estimator;

/// <summary>Fit on <c>ml.Data.LoadShards</c>: the template and image folder come from the shards' manifest, as in <c>vlm train</c>.</summary>
[Collection(TorchRandomCollection.Name)]
public class VlmEstimatorShardsTests : IDisposable
{
    readonly TempFolder _root = new();

    public VlmEstimatorShardsTests() => TinyTrainingRun.Prepare(_root, samples: 6);

    public void Dispose() => _root.Dispose();

    VlmTrainerOptions Options(string output) => new()
    {
        LlmPath = _root.File("tiny/llm"), VisionPath = _root.File("tiny/vision"), OutputDir = _root.File(output),
        MaxSteps = 2, PerDeviceTrainBatchSize = 2, LoraRank = 4, TargetModules = "q_proj|v_proj", TensorBoard = false,
    };

    [Fact]
    public void Shards_bring_their_template_and_image_folder_and_a_different_template_is_refused()
    {
        var ml = new MLContext(1);
        // No Template, no ImageRoot: the manifest's (4 image tokens, no system prompt, the samples' image folder).
        using (var model = ml.Vlm().Trainer(Options("out")).Fit(ml.Data.LoadShards(_root.File("shards"))))
            Assert.Equal(2, model.TrainingLog[^1].Step);

        var e = Assert.Throws<ArgumentException>(() => ml.Vlm().Trainer(Options("other") with { Template = new ChatTemplateOptions { ImageTokenCount = 4 } })
            .Fit(ml.Data.LoadShards(_root.File("shards"))));
        Assert.Contains("the shards were tokenized with Qwen2 (system prompt \"\", 4 image tokens)", e.Message);
    }

    [Fact]
    public void A_chain_whose_rows_the_trained_model_could_not_answer_is_refused_before_training()
    {
        var ml = new MLContext(1);
        // A chain runs the fitted model over its training rows, which have ids and labels but no prompt.
        var chain = ml.Transforms.CopyColumns("ids", "input_ids").Append(ml.Vlm().Trainer(Options("chained")));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => chain.Fit(ml.Data.LoadShards(_root.File("shards"))));
        Assert.Contains("answers rows with a 'prompt' text column", e.Message);
        Assert.Contains("which have no such column", e.Message);
        Assert.False(Directory.Exists(_root.File("chained")));
    }
}
