using Vlm.Pipeline.Cli;
using Vlm.Trainers.Distributed;
using Vlm.Trainers.Training;
using static Vlm.Pipeline.Config.Settings;

namespace Vlm.Pipeline.Config;

/// <summary>
/// The settings of <c>vlm train</c> that map one to one onto <see cref="VlmTrainerOptions"/>, declared
/// once: name (train.sh's and Hugging Face's), help, the default shown (read from the record, never
/// restated) and how a value sets it. The data, the model folders and the template are read by the
/// command itself.
/// </summary>
internal static class TrainSettings
{
    static readonly VlmTrainerOptions Defaults = new();

    static Setting<VlmTrainerOptions> Flag(string name, string help, Func<VlmTrainerOptions, bool, VlmTrainerOptions> set) =>
        new(name, help, null, (o, v) => set(o, v.Bool()), IsFlag: true);

    public static readonly IReadOnlyList<Setting<VlmTrainerOptions>> All =
    [
        new("output_dir", "checkpoints, TensorBoard events and the trained model/", Defaults.OutputDir, (o, v) => o with { OutputDir = v.Path() }),
        new("eval_steps", "evaluate every N steps (0: at the end)", $"{Defaults.EvalSteps}", (o, v) => o with { EvalSteps = v.Int() }),
        new("train", "projector, lora (projector + LoRA) or full", "lora", (o, v) => o with { Train = v.Choice<TrainableParts>("projector", "lora", "full") }),
        Flag("train_vision_tower", "train the vision tower too", (o, on) => o with { TrainVisionTower = on }),
        new("image_root", "folder the shards' image paths are relative to", "each source's image folder, from the manifest", (o, v) => o with { ImageRoot = v.Path() }),
        new("vision_features", "a folder of the frozen tower's features made by vlm cache-features for these shards: no image decoding or tower pass while training", null,
            (o, v) => o with { VisionFeatures = v.Path() }),
        new("lora_rank", "LoRA rank", $"{Defaults.LoraRank}", (o, v) => o with { LoraRank = v.Int() }),
        new("lora_alpha", "LoRA alpha", Text(Defaults.LoraAlpha), (o, v) => o with { LoraAlpha = v.Double() }),
        new("lora_dropout", "LoRA dropout", Text(Defaults.LoraDropout), (o, v) => o with { LoraDropout = v.Double() }),
        new("target_modules", "LoRA targets: names joined by | or one regular expression",
            "the LLM's: c_attn|w1|w2 for Qwen-7B (the original's), q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj for Qwen2 and Llama", (o, v) => o with { TargetModules = v.Text }),
        new("vision_lora_target_modules", "LoRA on the vision tower too (with --train lora): its layers to adapt, e.g. q_proj|k_proj|v_proj|out_proj|fc1|fc2; same rank, alpha and dropout",
            "none (the tower stays frozen)", (o, v) => o with { VisionLoraTargetModules = v.Text }),
        new("per_device_train_batch_size", "examples per micro-batch", $"{Defaults.PerDeviceTrainBatchSize}", (o, v) => o with { PerDeviceTrainBatchSize = v.Int() }),
        new("gradient_accumulation_steps", "micro-batches per optimizer step", $"{Defaults.GradientAccumulationSteps}", (o, v) => o with { GradientAccumulationSteps = v.Int() }),
        new("num_train_epochs", "epochs", Text(Defaults.NumTrainEpochs), (o, v) => o with { NumTrainEpochs = v.Double() }),
        new("max_steps", "stop after N optimizer steps (overrides epochs)", $"{Defaults.MaxSteps}", (o, v) => o with { MaxSteps = v.Int() }),
        new("learning_rate", "learning rate of the LLM (and tower)", Text(Defaults.LearningRate), (o, v) => o with { LearningRate = v.Double() }),
        new("feature_proj_lr", "learning rate of the projector", Text(Defaults.FeatureProjLr), (o, v) => o with { FeatureProjLr = v.Double() }),
        new("warmup_steps", "linear warm-up steps", $"{Defaults.WarmupSteps}", (o, v) => o with { WarmupSteps = v.Int() }),
        new("lr_scheduler_type", "linear, cosine or constant", Lower(Defaults.LrSchedulerType), (o, v) => o with { LrSchedulerType = v.Choice<LrSchedule>() }),
        new("weight_decay", "AdamW weight decay (not on biases and norms)", Text(Defaults.WeightDecay), (o, v) => o with { WeightDecay = v.Double() }),
        new("max_grad_norm", "gradient clipping norm", Text(Defaults.MaxGradNorm), (o, v) => o with { MaxGradNorm = v.Double() }),
        Flag("gradient_checkpointing", "recompute activations in the backward pass to save memory", (o, on) => o with { GradientCheckpointing = on }),
        new("dataloader_num_workers", "batches loaded (images decoded) ahead of the step in the background", $"{Defaults.DataWorkers}", (o, v) => o with { DataWorkers = v.Int() }),
        new("cpu_replicas", "CPU only: model copies trained side by side on threads of their own, each on a share of every micro-batch (for small models)", $"{Defaults.CpuReplicas}",
            (o, v) => o with { CpuReplicas = v.Int() }),
        Flag("group_by_length", "batch examples of similar length together (mega-batches of 50 global batches sorted by length): less padding", (o, on) => o with { GroupByLength = on }),
        Flag("packing", "pack each micro-batch's examples into as few rows as fit its longest (attention kept within each example; the same loss): less padding",
            (o, on) => o with { Packing = on }),
        new("save_steps", "checkpoint every N steps", $"{Defaults.SaveSteps}", (o, v) => o with { SaveSteps = v.Int() }),
        new("save_total_limit", "checkpoints kept", $"{Defaults.SaveTotalLimit}", (o, v) => o with { SaveTotalLimit = v.Int() }),
        new("logging_steps", "log every N steps", $"{Defaults.LoggingSteps}", (o, v) => o with { LoggingSteps = v.Int() }),
        new("seed", "random seed", $"{Defaults.Seed}", (o, v) => o with { Seed = v.Int() }),
        new(DeviceArguments.Precision.Name, DeviceArguments.PrecisionHelp, DeviceArguments.PrecisionWords[(int)Defaults.Precision],
            (o, v) => o with { Precision = v.Choice<TensorPrecision>(DeviceArguments.PrecisionWords) }),
        Flag("resume", "continue from the newest checkpoint in output_dir (required when it has one)", (o, on) => o with { Resume = on }),
        new("distributed", "gradient reduction across processes: auto (MPI when mpirun, torchrun or srun started several), none, mpi or nccl", Lower(Defaults.Distributed),
            (o, v) => o with { Distributed = v.Choice<DistributedBackend>() }),
    ];
}
