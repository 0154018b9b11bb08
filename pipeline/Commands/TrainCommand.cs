using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Config;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Distributed;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Training;

namespace Vlm.Pipeline.Commands;

/// <summary>
/// <c>vlm train</c>: the original <c>train.sh</c>'s flags (snake_case or kebab-case) over the shards of
/// <c>vlm prepare</c>. The chat template and image folder come from the shards' manifest, so the
/// model is trained and later prompted exactly as the data was tokenized.
/// </summary>
internal sealed class TrainCommand : ICommand
{
    public string Name => "train";
    public string Summary => "fine-tune the VLM on prepared shards (train.sh's options), with checkpoints and resume";
    public string Example => "vlm train --data ./shards --llm ./Qwen2-0.5B --vision ./clip-vit-large-patch14 --output_dir ./out --lora_rank 64 --target_modules q_proj|v_proj";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        ShardArguments.Data,
        new("llm", "base LLM folder: Qwen2, Qwen-7B or Llama (config.json, safetensors, tokenizer); required unless --init_from"),
        new("vision", "base CLIP or SigLIP folder; required unless --init_from"),
        new("init_from", "a Hugging Face LLaVA folder (LlavaForConditionalGeneration, e.g. llava-1.5-7b-hf) to fine-tune: LLM, tower, projector and tokenizer from it"),
        new("eval_data", "shards to evaluate on (optional)"),
        .. TrainSettings.All.Select(s => s.Option),
        DeviceArguments.Device,
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string data = args.Required("data");
        var shards = ShardArguments.Open(data);
        var template = shards.Manifest.Config?.Template ?? throw new UsageException($"{data}: the manifest records no chat template; prepare the data again");
        var (llm, vision) = args.Value("init_from") is { } llava
            ? (args.Value("llm") ?? args.Value("vision")) is null ? (llava, llava) : throw new UsageException("--init_from names the LLM and the tower: leave out --llm and --vision")
            : (args.Value("llm") ?? throw new UsageException("--llm is required (or --init_from)"), args.Value("vision") ?? throw new UsageException("--vision is required (or --init_from)"));
        // Without --image_root, the trainer finds each row's image in its source's folder (see VlmEstimator).
        var options = Settings.FromFlags(TrainSettings.All, new VlmTrainerOptions { LlmPath = llm, VisionPath = vision, Template = template }, args);

        var ml = DeviceArguments.Context(args, options.Seed);
        var estimator = ml.Vlm().Trainer(options);
        var validation = args.Value("eval_data") is { } eval ? ShardArguments.Open(eval) : null;
        using (var progress = ProgressReporter.Create(output, "steps", null, logEvery: 0))
        {
            estimator.OnLog = e => progress.WriteLine(
            $"step {e.Step}  loss {e.Loss:F4}  lr {e.LearningRate:E2}  projector lr {e.ProjectorLearningRate:E2}  grad norm {e.GradNorm:F2}  {e.TokensPerSecond:F0} tokens/s  {e.SamplesPerSecond:F1} samples/s  data wait {e.DataWait:P0}");
            estimator.OnEval = e => progress.WriteLine($"step {e.Step}  eval loss {e.Loss:F4} over {e.Tokens} tokens");
            if (DistributedWorld.FromEnvironment().IsMain) estimator.OnStep = (step, _) => progress.Report(step); // one progress line, not one per rank
            using var stop = StopSignals.Create();
            try
            {
                using var model = estimator.Fit(shards, validation, stop.Token);
            }
            catch (ResumeRequiredException)
            {
                throw new UsageException($"{options.OutputDir} already has checkpoints: pass --resume to continue from the newest, or choose another --output_dir");
            }
            catch (TrainingInterruptedException e)
            {
                progress.WriteLine($"{stop.Signal}: {e.Message}");
                return ExitCodes.Interrupted;
            }
        }
        if (DistributedWorld.FromEnvironment().IsMain)
            output.WriteLine($"model -> {Path.GetFullPath(VlmModelFolder.InOutput(options.OutputDir))}  (vlm predict --weights <that folder> --image <file> --prompt <text>)");
        return ExitCodes.Ok;
    }
}
