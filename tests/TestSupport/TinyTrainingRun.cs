using Vlm.Pipeline.Commands;

namespace Vlm.Tests.TestSupport;

/// <summary>
/// What a <c>vlm train</c> test starts from, made as a user makes it: <c>init-tiny</c> (hidden 16, one layer,
/// 16-px tower with 8-px patches: 4 image tokens), <c>make-samples</c> and <c>prepare</c>, under one folder,
/// and the <c>train</c> arguments every such test shares.
/// </summary>
internal static class TinyTrainingRun
{
    public static void Prepare(TempFolder root, int samples)
    {
        Assert.Equal(0, CommandHarness.Run(new InitTinyCommand(), "--out", root.File("tiny"), "--hidden", "16", "--layers", "1", "--image_size", "16", "--patch-size", "8").Code);
        Assert.Equal(0, CommandHarness.Run(new MakeSamplesCommand(), "--output", root.File("samples"), "--count", samples.ToString()).Code);
        var prepare = CommandHarness.Run(new PrepareCommand(), "--format", "llava", "--annotations", root.File("samples/llava.json"),
            "--images", root.File("samples/images"), "--output", root.File("shards"), "--tokenizer", root.File("tiny/llm"),
            "--image_tokens", "4", "--system_prompt", "");
        Assert.True(prepare.Code == 0, prepare.Out + prepare.Err);
    }

    /// <summary><c>train</c> on the prepared shards into <paramref name="output"/>: LoRA r4 on q/v, seed 11, a log line per step.</summary>
    public static string[] Train(TempFolder root, string output, int batch, int steps, int saveSteps, double loraDropout, params string[] more) =>
    [
        "train", "--data", root.File("shards"), "--llm", root.File("tiny/llm"), "--vision", root.File("tiny/vision"), "--output_dir", root.File(output),
        "--lora_rank", "4", "--lora_dropout", loraDropout.ToString(System.Globalization.CultureInfo.InvariantCulture), "--per_device_train_batch_size", batch.ToString(),
        "--max_steps", steps.ToString(), "--save_steps", saveSteps.ToString(), "--learning_rate", "1e-3", "--feature_proj_lr", "1e-3",
        "--logging_steps", "1", "--seed", "11", "--target_modules", "q_proj|v_proj", .. more,
    ];
}
