using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Vlm.Pipeline.Cli;
using Vlm.Trainers.Distributed;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Training;
using Vlm.Transforms;
using Vlm.Transforms.Etl;

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

    static readonly VlmTrainerOptions Defaults = new();
    static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        ShardArguments.Data,
        new("llm", "base LLM folder: Qwen2, Qwen-7B or Llama (config.json, safetensors, tokenizer); required unless --init_from"),
        new("vision", "base CLIP or SigLIP folder; required unless --init_from"),
        new("init_from", "a Hugging Face LLaVA folder (LlavaForConditionalGeneration, e.g. llava-1.5-7b-hf) to fine-tune: LLM, tower, projector and tokenizer from it"),
        new("output_dir", "checkpoints, TensorBoard events and the trained model/", Default: Defaults.OutputDir),
        new("eval_data", "shards to evaluate on (optional)"),
        new("eval_steps", "evaluate every N steps (0: at the end)", Default: "0"),
        new("train", "projector, lora (projector + LoRA) or full", Default: "lora"),
        new("train_vision_tower", "train the vision tower too", IsFlag: true),
        new("packing", "pack each micro-batch's examples into as few rows as fit its longest (attention kept within each example; the same loss): less padding", IsFlag: true),
        ShardArguments.ImageRoot,
        new("vision_features", "a folder of the frozen tower's features made by vlm cache-features for these shards: no image decoding or tower pass while training"),
        new("lora_rank", "LoRA rank", Default: Defaults.LoraRank.ToString()),
        new("lora_alpha", "LoRA alpha", Default: Text(Defaults.LoraAlpha)),
        new("lora_dropout", "LoRA dropout", Default: Text(Defaults.LoraDropout)),
        new("target_modules", "LoRA targets: names joined by | or one regular expression", Default: "the LLM's: c_attn|w1|w2 for Qwen-7B (the original's), q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj for Qwen2"),
        new("per_device_train_batch_size", "examples per micro-batch", Default: Defaults.PerDeviceTrainBatchSize.ToString()),
        new("gradient_accumulation_steps", "micro-batches per optimizer step", Default: Defaults.GradientAccumulationSteps.ToString()),
        new("num_train_epochs", "epochs", Default: Text(Defaults.NumTrainEpochs)),
        new("max_steps", "stop after N optimizer steps (overrides epochs)", Default: "-1"),
        new("learning_rate", "learning rate of the LLM (and tower)", Default: Text(Defaults.LearningRate)),
        new("feature_proj_lr", "learning rate of the projector", Default: Text(Defaults.FeatureProjLr)),
        new("warmup_steps", "linear warm-up steps", Default: "0"),
        new("lr_scheduler_type", "linear, cosine or constant", Default: "linear"),
        new("weight_decay", "AdamW weight decay (not on biases and norms)", Default: "0"),
        new("max_grad_norm", "gradient clipping norm", Default: Text(Defaults.MaxGradNorm)),
        new("gradient_checkpointing", "recompute activations in the backward pass to save memory", IsFlag: true),
        new("dataloader_num_workers", "batches loaded (images decoded) ahead of the step in the background", Default: Defaults.DataWorkers.ToString()),
        new("group_by_length", "batch examples of similar length together (mega-batches of 50 global batches sorted by length): less padding", IsFlag: true),
        new("save_steps", "checkpoint every N steps", Default: Defaults.SaveSteps.ToString()),
        new("save_total_limit", "checkpoints kept", Default: Defaults.SaveTotalLimit.ToString()),
        new("logging_steps", "log every N steps", Default: Defaults.LoggingSteps.ToString()),
        new("seed", "random seed", Default: Defaults.Seed.ToString()),
        new("resume", "continue from the newest checkpoint in output_dir (required when it has one)", IsFlag: true),
        new("distributed", "gradient reduction across processes: auto (MPI when mpirun, torchrun or srun started several), none, mpi or nccl", Default: "auto"),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string data = args.Required("data");
        var shards = ShardArguments.Open(data);
        var template = shards.Manifest.Config?.Template ?? throw new UsageException($"{data}: the manifest records no chat template; prepare the data again");
        // Left out, the trainer finds each row's image in its source's folder (see VlmEstimator).
        string imageRoot = args.Value("image_root") ?? Defaults.ImageRoot;
        var (llm, vision) = args.Value("init_from") is { } llava
            ? (args.Value("llm") ?? args.Value("vision")) is null ? (llava, llava) : throw new UsageException("--init_from names the LLM and the tower: leave out --llm and --vision")
            : (args.Value("llm") ?? throw new UsageException("--llm is required (or --init_from)"), args.Value("vision") ?? throw new UsageException("--vision is required (or --init_from)"));
        var options = new VlmTrainerOptions
        {
            LlmPath = llm, VisionPath = vision, Template = template, ImageRoot = imageRoot,
            OutputDir = args.Value("output_dir") ?? Defaults.OutputDir,
            EvalSteps = args.Int("eval_steps", 0),
            Train = (args.Value("train") ?? "lora") switch
            {
                "projector" => TrainableParts.Projector,
                "lora" => TrainableParts.ProjectorAndLora,
                "full" => TrainableParts.Full,
                var other => throw new UsageException($"--train must be projector, lora or full, not '{other}'"),
            },
            TrainVisionTower = args.Flag("train_vision_tower"),
            LoraRank = args.Int("lora_rank", Defaults.LoraRank),
            LoraAlpha = args.Double("lora_alpha", Defaults.LoraAlpha),
            LoraDropout = args.Double("lora_dropout", Defaults.LoraDropout),
            TargetModules = args.Value("target_modules"),
            PerDeviceTrainBatchSize = args.Int("per_device_train_batch_size", Defaults.PerDeviceTrainBatchSize),
            GradientAccumulationSteps = args.Int("gradient_accumulation_steps", Defaults.GradientAccumulationSteps),
            NumTrainEpochs = args.Double("num_train_epochs", Defaults.NumTrainEpochs),
            MaxSteps = args.Int("max_steps", -1),
            LearningRate = args.Double("learning_rate", Defaults.LearningRate),
            FeatureProjLr = args.Double("feature_proj_lr", Defaults.FeatureProjLr),
            WarmupSteps = args.Int("warmup_steps", 0),
            LrSchedulerType = (args.Value("lr_scheduler_type") ?? "linear") switch
            {
                "linear" => LrSchedule.Linear,
                "cosine" => LrSchedule.Cosine,
                "constant" => LrSchedule.Constant,
                var other => throw new UsageException($"--lr_scheduler_type must be linear, cosine or constant, not '{other}'"),
            },
            WeightDecay = args.Double("weight_decay", 0),
            MaxGradNorm = args.Double("max_grad_norm", Defaults.MaxGradNorm),
            GradientCheckpointing = args.Flag("gradient_checkpointing"),
            GroupByLength = args.Flag("group_by_length"),
            Packing = args.Flag("packing"),
            VisionFeatures = args.Value("vision_features"),
            DataWorkers = args.Int("dataloader_num_workers", Defaults.DataWorkers),
            SaveSteps = args.Int("save_steps", Defaults.SaveSteps),
            SaveTotalLimit = args.Int("save_total_limit", Defaults.SaveTotalLimit),
            LoggingSteps = args.Int("logging_steps", Defaults.LoggingSteps),
            Seed = args.Int("seed", Defaults.Seed),
            Resume = args.Flag("resume"),
            Distributed = (args.Value("distributed") ?? "auto") switch
            {
                "auto" => DistributedBackend.Auto,
                "none" => DistributedBackend.None,
                "mpi" => DistributedBackend.Mpi,
                "nccl" => DistributedBackend.Nccl,
                var other => throw new UsageException($"--distributed must be auto, none, mpi or nccl, not '{other}'"),
            },
        };

        var ml = new MLContext(options.Seed);
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
            output.WriteLine($"model -> {Path.GetFullPath(Path.Combine(options.OutputDir, VlmEstimator.ModelFolderName))}  (vlm predict --weights <that folder> --image <file> --prompt <text>)");
        return ExitCodes.Ok;
    }
}
