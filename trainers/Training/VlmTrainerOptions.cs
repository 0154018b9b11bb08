using Vlm.Transforms.Conversations;

namespace Vlm.Trainers.Training;

/// <summary>Which parameters train.</summary>
public enum TrainableParts
{
    /// <summary>Only the projector (LLaVA stage-1 pretraining).</summary>
    Projector,
    /// <summary>The projector and LoRA adapters on the LLM (the original's setting).</summary>
    ProjectorAndLora,
    /// <summary>The projector and every LLM weight.</summary>
    Full,
}

/// <summary>Learning-rate schedule after warm-up.</summary>
public enum LrSchedule { Linear, Cosine, Constant }

/// <summary>The floating-point type of the weights. Auto: bfloat16 on CUDA, float32 on CPU (where bfloat16 is about 100x slower).</summary>
public enum TensorPrecision { Auto, Float32, BFloat16 }

/// <summary>
/// Every option of the original <c>train.sh</c>, with its defaults, plus the usual trainer settings.
/// </summary>
public sealed record VlmTrainerOptions
{
    /// <summary>The base Qwen2 folder (Hugging Face <c>config.json</c> + safetensors + tokenizer); needed by the estimator.</summary>
    public string LlmPath { get; init; } = "";
    /// <summary>The base CLIP or SigLIP folder; needed by the estimator.</summary>
    public string VisionPath { get; init; } = "";
    /// <summary>The tokenizer folder, when it is not the LLM folder.</summary>
    public string? TokenizerPath { get; init; }
    /// <summary>The chat template the shards were tokenized with (prompts at prediction time use it too).</summary>
    public ChatTemplateOptions Template { get; init; } = new();
    /// <summary>The tower's hidden state the features come from, in Hugging Face's numbering (-2: the penultimate layer).</summary>
    public int VisionFeatureLayer { get; init; } = -2;
    public int LoraRank { get; init; } = 128;
    public double LoraAlpha { get; init; } = 32;
    public double LoraDropout { get; init; } = 0.10;
    /// <summary>LoRA's targets (names joined by | or one regular expression); null: the LLM's own (Qwen-7B: <c>c_attn|w1|w2</c>, the original's; Qwen2: every attention and MLP projection).</summary>
    public string? TargetModules { get; init; }
    /// <summary>
    /// LoRA on the vision tower too (with <c>Train = ProjectorAndLora</c>): the tower's linear layers to adapt
    /// (CLIP/SigLIP names: <c>q_proj|k_proj|v_proj|out_proj|fc1|fc2</c>), same rank, alpha and dropout as the
    /// LLM's; null: the tower stays frozen. Saved as a second peft folder, <c>vision_adapter/</c>.
    /// </summary>
    public string? VisionLoraTargetModules { get; init; }
    public int PerDeviceTrainBatchSize { get; init; } = 4;
    public int GradientAccumulationSteps { get; init; } = 1;
    public double NumTrainEpochs { get; init; } = 2;
    /// <summary>Stops after this many optimizer steps when positive (overrides the epoch count).</summary>
    public int MaxSteps { get; init; } = -1;
    public int SaveSteps { get; init; } = 1000;
    public int SaveTotalLimit { get; init; } = 5;
    public double LearningRate { get; init; } = 3e-5;
    /// <summary>The projector's own, larger learning rate.</summary>
    public double FeatureProjLr { get; init; } = 1e-4;
    public int Seed { get; init; } = 42;
    public int LoggingSteps { get; init; } = 100;
    public string OutputDir { get; init; } = "output";
    public int WarmupSteps { get; init; }
    public LrSchedule LrSchedulerType { get; init; } = LrSchedule.Linear;
    public double WeightDecay { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public TrainableParts Train { get; init; } = TrainableParts.ProjectorAndLora;
    public bool TrainVisionTower { get; init; }
    public bool GradientCheckpointing { get; init; }
    /// <summary>
    /// Batches of examples of similar length (Hugging Face's <c>group_by_length</c>): each epoch's
    /// shuffled order is sorted within mega-batches of 50 global batches, so a batch pads little.
    /// </summary>
    public bool GroupByLength { get; init; }
    /// <summary>
    /// Each micro-batch's examples packed into as few rows as fit its longest example, attention kept
    /// within each example: the same loss as unpacked, with less padding to compute (best with short
    /// rows beside long ones, as LLaVA-Instruct's captions beside its reasoning answers).
    /// </summary>
    public bool Packing { get; init; }
    /// <summary>Batches loaded (images decoded) ahead of the step in background tasks; 0 loads each batch when its step needs it.</summary>
    public int DataWorkers { get; init; } = 2;
    /// <summary>
    /// CPU only: copies of the model trained side by side in this process, each on a thread of its own with
    /// one intra-op thread and a share of every micro-batch, their gradients summed before each step
    /// (<see cref="ThreadReplicas"/>). For small models, whose operations are too small to split across
    /// cores; 1 (the default) runs one model with libtorch's intra-op threads.
    /// </summary>
    public int CpuReplicas { get; init; } = 1;
    /// <summary>
    /// A folder of the frozen tower's features made by <c>vlm cache-features</c> for these shards: the
    /// trainer reads them instead of decoding images and running the tower each step.
    /// </summary>
    public string? VisionFeatures { get; init; }
    /// <summary>The folder the shards' image paths are relative to.</summary>
    public string ImageRoot { get; init; } = ".";
    /// <summary>Evaluate on the validation set every this many steps (0: only after the last step); needs a validation set.</summary>
    public int EvalSteps { get; init; }
    /// <summary>Write the logged values as TensorBoard events under <c>{output_dir}/runs</c>.</summary>
    public bool TensorBoard { get; init; } = true;
    public TensorPrecision Precision { get; init; } = TensorPrecision.Auto;
    /// <summary>Continue from the newest checkpoint in <see cref="OutputDir"/>; without it, a folder that has checkpoints is refused (they would be resumed with whatever options this run has).</summary>
    public bool Resume { get; init; }
    /// <summary>How gradients are reduced across processes: auto (MPI when a launcher started several, else none), none, mpi or nccl.</summary>
    public Distributed.DistributedBackend Distributed { get; init; } = Vlm.Trainers.Distributed.DistributedBackend.Auto;

    /// <summary>The run's LoRA settings; without target modules, <paramref name="llm"/>'s own default ones.</summary>
    internal Models.Lora.LoraOptions LoraSettings(Models.Text.CausalLanguageModel llm) => new()
    {
        Rank = LoraRank, Alpha = LoraAlpha, Dropout = LoraDropout, TargetModules = TargetModules ?? llm.DefaultLoraTargets,
    };

    /// <summary>The tower's LoRA settings, or null when the tower has no adapters (<see cref="Validate"/> allows them with LoRA training only).</summary>
    internal Models.Lora.LoraOptions? VisionLoraSettings() => VisionLoraTargetModules is null ? null : new()
    {
        Rank = LoraRank, Alpha = LoraAlpha, Dropout = LoraDropout, TargetModules = VisionLoraTargetModules,
    };

    /// <summary>The run's configuration as every rank of it must share it (the output folder made absolute, as ranks may start in other folders).</summary>
    internal string RunFingerprint() => System.Text.Json.JsonSerializer.Serialize(this with { OutputDir = Path.GetFullPath(OutputDir) });

    /// <summary>Conflicting or impossible settings, found before any work starts.</summary>
    public void Validate()
    {
        void Positive(double value, string name)
        {
            if (!(value > 0)) throw new ArgumentException($"{name} must be positive, not {value}");
        }
        Positive(PerDeviceTrainBatchSize, "per_device_train_batch_size");
        Positive(GradientAccumulationSteps, "gradient_accumulation_steps");
        Positive(LearningRate, "learning_rate");
        Positive(FeatureProjLr, "feature_proj_lr");
        Positive(SaveSteps, "save_steps");
        Positive(LoggingSteps, "logging_steps");
        if (MaxSteps <= 0 && !(NumTrainEpochs > 0)) throw new ArgumentException("nothing to train: num_train_epochs is 0 and max_steps is not set");
        if (SaveTotalLimit < 1) throw new ArgumentException("save_total_limit must be at least 1");
        if (WarmupSteps < 0) throw new ArgumentException("warmup_steps cannot be negative");
        if (EvalSteps < 0) throw new ArgumentException("eval_steps cannot be negative");
        if (DataWorkers < 0) throw new ArgumentException("dataloader_num_workers cannot be negative");
        if (CpuReplicas < 1) throw new ArgumentException($"cpu_replicas must be at least 1, not {CpuReplicas}");
        if (CpuReplicas > PerDeviceTrainBatchSize)
            throw new ArgumentException($"cpu_replicas {CpuReplicas} splits each micro-batch between the model copies, and per_device_train_batch_size {PerDeviceTrainBatchSize} has fewer rows than copies");
        // The copies' dropout masks would come from one random stream in whatever order the threads reach it.
        if (CpuReplicas > 1 && Train == TrainableParts.ProjectorAndLora && LoraDropout > 0)
            throw new ArgumentException($"cpu_replicas {CpuReplicas} with lora_dropout {LoraDropout}: the model copies would draw their dropout masks from one random stream in an order that varies, so runs with one seed would differ; set lora_dropout 0 or cpu_replicas 1");
        if (Train == TrainableParts.ProjectorAndLora)
        {
            Positive(LoraRank, "lora_rank");
            if (LoraDropout is < 0 or >= 1) throw new ArgumentException($"lora_dropout must be in [0, 1), not {LoraDropout}");
        }
        if (VisionLoraTargetModules is not null)
        {
            if (Train != TrainableParts.ProjectorAndLora) throw new ArgumentException("vision_lora_target_modules adds LoRA to the tower: it needs train = lora");
            if (TrainVisionTower) throw new ArgumentException("train_vision_tower trains the whole tower and vision_lora_target_modules adapts it: choose one");
            if (VisionFeatures is not null) throw new ArgumentException("vision_features are a frozen tower's; they cannot train the tower's adapters (leave out vision_lora_target_modules or vision_features)");
        }
        if (VisionFeatures is not null && TrainVisionTower) throw new ArgumentException("vision_features are a frozen tower's; they cannot train the tower (leave out train_vision_tower or vision_features)");
        if (!Directory.Exists(ImageRoot)) throw new DirectoryNotFoundException($"{ImageRoot}: no such image folder");
    }
}
