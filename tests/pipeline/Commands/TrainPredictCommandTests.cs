using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Commands;

/// <summary>init-tiny -> make-samples -> prepare -> train -> predict, as a user runs them.</summary>
[Collection(TorchRandomCollection.Name)]
public class TrainPredictCommandTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void The_original_flags_train_a_model_that_predict_loads_and_resume_is_required_to_continue()
    {
        var init = CommandHarness.Run(new InitTinyCommand(), "--out", _root.File("tiny"), "--hidden", "16", "--layers", "1", "--image_size", "16", "--patch-size", "8");
        Assert.Equal(0, init.Code);
        Assert.Contains("tokenize with --image_tokens 4", init.Out);
        Assert.Equal(0, CommandHarness.Run(new MakeSamplesCommand(), "--output", _root.File("samples"), "--count", "6").Code);
        var prepare = CommandHarness.Run(new PrepareCommand(), "--format", "llava", "--annotations", _root.File("samples/llava.json"),
            "--images", _root.File("samples/images"), "--output", _root.File("shards"), "--tokenizer", _root.File("tiny/llm"),
            "--image_tokens", "4", "--system_prompt", "");
        Assert.True(prepare.Code == 0, prepare.Out + prepare.Err);

        string[] train =
        [
            "--data", _root.File("shards"), "--llm", _root.File("tiny/llm"), "--vision", _root.File("tiny/vision"), "--output-dir", _root.File("out"),
            "--lora_rank", "4", "--lora-dropout", "0", "--per_device_train_batch_size", "2", "--max_steps", "3", "--save_steps", "2",
            "--learning_rate", "1e-3", "--feature-proj-lr", "1e-3", "--logging_steps", "1", "--target_modules", "q_proj|v_proj",
        ];
        var trained = CommandHarness.Run(new TrainCommand(), train);
        Assert.True(trained.Code == 0, trained.Out + trained.Err);
        Assert.Contains("step 3  loss", trained.Out);
        Assert.True(File.Exists(_root.File("out/model/adapter_model.safetensors")));

        var again = CommandHarness.Run(new TrainCommand(), train);
        Assert.Equal(2, again.Code);
        Assert.Contains("--resume", again.Err);
        Assert.Equal(0, CommandHarness.Run(new TrainCommand(), [.. train, "--resume"]).Code);

        var predict = CommandHarness.Run(new PredictCommand(), "--weights", _root.File("out/model"), "--image", _root.File("samples/images/shape_00000.png"),
            "--prompt", "What shape is in the image?");
        Assert.True(predict.Code == 0, predict.Out + predict.Err);
        Assert.NotEmpty(predict.Out.Trim());

        var missing = CommandHarness.Run(new PredictCommand(), "--weights", _root.File("out/model"), "--image", _root.File("nope.png"), "--prompt", "?");
        Assert.Equal(2, missing.Code);
        Assert.Contains("nope.png", missing.Err);
    }
}
