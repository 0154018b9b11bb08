using TorchSharp;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Distributed;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Training;

/// <summary>Training stopped because the loss was not finite; the newest checkpoint before it is intact.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// Training was asked to stop (a cancelled token: SIGTERM or SIGINT from the command line) and did so
/// at a step boundary after writing <see cref="Checkpoint"/>; <c>--resume</c> continues from it exactly.
/// </summary>
public sealed class TrainingInterruptedException(int step, string? checkpoint)
    : OperationCanceledException(checkpoint is null ? $"training stopped before step {step + 1}; no checkpoint was written" : $"training stopped after step {step}; checkpoint {checkpoint} holds it (resume to continue)")
{
    public int Step => step;
    public string? Checkpoint => checkpoint;
}

/// <summary>
/// The training loop: AdamW with parameter groups (the projector at <c>feature_proj_lr</c>; no
/// weight decay on biases and norms), warm-up and schedule, gradient accumulation and clipping,
/// the loss only on labelled positions, the next batch's images decoded on a background thread
/// while the current step runs, checkpoints every <c>save_steps</c>, and exact resume from the
/// newest checkpoint (the data order is a function of the seed and the epoch, so a resumed run
/// sees the same batches as an uninterrupted one).
/// </summary>
internal sealed class VlmTrainer(VlmModel model, VlmTrainerOptions options, Features.IBatchImages images, Action<LogEntry>? log = null, ICollectives? collectives = null)
{
    // Data parallel: every rank runs this loop on its own slice of each global batch (see Train).
    readonly ICollectives _ranks = collectives ?? new SingleProcess();

    public IReadOnlyList<LogEntry> Log => _log;
    public IReadOnlyList<EvalEntry> EvalLog => _evalLog;
    readonly List<LogEntry> _log = [];
    readonly List<EvalEntry> _evalLog = [];

    /// <summary>Called after each optimizer step with the step number (tests use it to stop a run midway).</summary>
    public Action<int>? AfterStep { get; init; }

    /// <summary>The optimizer steps of the run (set when <see cref="Train"/> starts).</summary>
    public int TotalSteps { get; private set; }

    /// <summary>Called after each evaluation on the validation set.</summary>
    public Action<EvalEntry>? AfterEval { get; init; }

    /// <summary>What trains, so what each checkpoint holds.</summary>
    TrainedParts Parts => new(options.Train, options.TrainVisionTower, options.VisionLoraSettings());
    LoraOptions? Lora => options.Train == TrainableParts.ProjectorAndLora ? options.LoraSettings(model.LanguageModel) : null;

    public void Train(IReadOnlyList<TrainingExample> examples, IReadOnlyList<TrainingExample>? validation = null, CancellationToken cancellation = default)
    {
        options.Validate();
        Runtime.AllocatorTuning.Apply();
        if (options.EvalSteps > 0 && validation is not { Count: > 0 })
            throw new ArgumentException($"eval_steps is {options.EvalSteps} but there is no validation set");
        random.manual_seed(options.Seed);
        var world = _ranks.World;
        var groups = Configure(out var trainable);
        using var optimizer = new AdamW(groups);
        // A global batch: every rank's micro-batches of every accumulation step; rank r reads the r-th slice of each.
        int perMicro = options.PerDeviceTrainBatchSize * world.Size;
        int perStep = perMicro * options.GradientAccumulationSteps;
        int stepsPerEpoch = (examples.Count + perStep - 1) / perStep;
        int total = options.MaxSteps > 0 ? options.MaxSteps : (int)Math.Ceiling(options.NumTrainEpochs * stepsPerEpoch);

        TotalSteps = total;
        int start = 0;
        if (VlmModelFolder.LatestCheckpoint(options.OutputDir) is { } latest)
        {
            var state = VlmModelFolder.RestoreCheckpoint(latest, model, optimizer, Parts, world.Rank, world.Size);
            start = state.Step;
            _log.AddRange(state.Log);
            _evalLog.AddRange(state.EvalLog);
        }
        _ranks.StartFromRankZero(trainable, options.RunFingerprint() + $"\nstart {start}");
        Directory.CreateDirectory(options.OutputDir);
        // One writer of the run's files: rank 0.
        var events = options.TensorBoard && world.IsMain ? new TrainingEvents(Path.Combine(options.OutputDir, "runs")) : null;
        model.train();

        var device = model.LanguageModel.HeadWeight.device;
        var order = new EpochOrder(examples.Count, options.Seed, options.GroupByLength ? LengthsOf(examples) : null, perStep);
        // The rank's micro-batch, in one part per model copy (one without cpu_replicas).
        using var replicas = options.CpuReplicas > 1 ? ThreadReplicas.Create(model, options.CpuReplicas, trainable, copy => Prepare(copy, options)) : null;
        int parts = replicas?.Count ?? 1;
        TrainingBatch[] Load(int step, int micro)
        {
            var rows = Enumerable.Range(0, options.PerDeviceTrainBatchSize)
                .Select(j => examples[order[(long)step * perStep + micro * perMicro + world.Rank * options.PerDeviceTrainBatchSize + j]]).ToList();
            return [.. Enumerable.Range(0, parts).Select(k => TrainingBatch.Create(rows[(rows.Count * k / parts)..(rows.Count * (k + 1) / parts)], images, options.Packing))];
        }
        var batches = new BatchQueue<TrainingBatch[]>(Load, start, total, options.GradientAccumulationSteps, options.DataWorkers);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double lossSum = 0, waited = 0; long tokens = 0, samples = 0; int lossSteps = 0;
        // Asked to stop, every rank stops at the same step boundary, whichever got the signal first
        // (a rank alone in a collective would wait forever): the ranks agree on it once per step.
        bool Stopping() => _ranks.Sum(cancellation.IsCancellationRequested ? 1 : 0) > 0;
        if (start < total && Stopping()) throw new TrainingInterruptedException(start, null);
        for (int step = start; step < total; step++)
        {
            double factor = LearningRateSchedule.Factor(options.LrSchedulerType, step, options.WarmupSteps, total);
            foreach (var group in groups) group.LearningRate = group.BaseLearningRate * factor;
            double stepLoss = 0;
            using (var scope = NewDisposeScope())
            using (var accumulation = options.GradientAccumulationSteps.ToScalar())
            {
                for (int micro = 0; micro < options.GradientAccumulationSteps; micro++)
                {
                    var (split, wait) = batches.Take();
                    waited += wait;
                    tokens += split.Sum(b => b.Tokens);
                    samples += split.Sum(b => b.Examples);
                    if (replicas is not null)
                    {
                        long labelledHere = split.Sum(b => b.LabelledTokens);
                        double labelledEverywhere = _ranks.Sum(labelledHere);
                        double weight = (world.IsDistributed ? (labelledEverywhere > 0 ? labelledHere / labelledEverywhere : 0) : 1) / options.GradientAccumulationSteps;
                        stepLoss += replicas.ForwardBackward(split, device, weight);
                        continue;
                    }
                    var batch = split[0];
                    var (ids, keep, labels, pixels) = batch.ToTensors(device);
                    var (loss, labelled) = model.Loss(ids, keep, labels, pixels);
                    // Each rank's mean loss weighted by its share of the global micro-batch's labelled tokens, so that the
                    // summed gradients are those of the whole micro-batch's mean: N ranks x B = 1 rank x N*B.
                    double labelledInAll = _ranks.Sum(labelled), share = world.IsDistributed ? (labelledInAll > 0 ? labelled / labelledInAll : 0) : 1;
                    if (world.IsDistributed)
                        using (var weight = (share / options.GradientAccumulationSteps).ToScalar())
                            loss.mul(weight).backward();
                    else
                        loss.div(accumulation).backward(); // one process: the same operations as always, so the same bytes
                    stepLoss += loss.item<float>() * share / options.GradientAccumulationSteps;
                }
                replicas?.GatherGradients();
                _ranks.AllReduceGradients([.. groups.SelectMany(g => g.Parameters)]);
                stepLoss = _ranks.Sum(stepLoss);
                if (!double.IsFinite(stepLoss))
                    throw new TrainingDivergedException($"the loss is {stepLoss} at step {step + 1}; training stopped, the newest checkpoint in {options.OutputDir} is intact (try a lower learning rate)");
                double norm = nn.utils.clip_grad_norm_(groups.SelectMany(g => g.Parameters), options.MaxGradNorm);
                optimizer.StepOnce();
                optimizer.ZeroGrad();
                replicas?.CopyWeights();
                lossSum += stepLoss;
                lossSteps++;
                int done = step + 1;
                if (done % options.LoggingSteps == 0 || done == total)
                {
                    double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-6);
                    var entry = new LogEntry(done, lossSum / lossSteps, groups[^1].LearningRate, groups[0].LearningRate, norm, _ranks.Sum(tokens) / seconds, _ranks.Sum(samples) / seconds,
                        Math.Min(1, waited / seconds));
                    _log.Add(entry);
                    events?.Write(entry);
                    if (world.IsMain) log?.Invoke(entry);
                    lossSum = 0; lossSteps = 0; tokens = 0; samples = 0; waited = 0;
                    clock.Restart();
                }
                if (validation is { Count: > 0 } && (done == total || (options.EvalSteps > 0 && done % options.EvalSteps == 0)))
                {
                    var eval = Evaluate(validation, done, device);
                    _evalLog.Add(eval);
                    events?.Write(eval);
                    AfterEval?.Invoke(eval);
                }
                // Asked to stop: this step's checkpoint now, not at the next save step, so no work is lost.
                bool stopping = Stopping();
                if (done % options.SaveSteps == 0 || done == total || stopping)
                {
                    batches.WaitAll();
                    var randomStates = _ranks.RandomStates();
                    if (world.IsMain)
                        VlmModelFolder.SaveCheckpoint(options.OutputDir, model, optimizer,
                            new TrainerState { Step = done, TotalSteps = total, Seed = options.Seed, WorldSize = world.Size, Log = [.. _log], EvalLog = [.. _evalLog] },
                            Parts, Lora, options.SaveTotalLimit, randomStates);
                    foreach (var state in randomStates) state.Dispose();
                    _ranks.Barrier(); // no rank runs ahead of a checkpoint that may yet fail
                }
                if (stopping && done < total)
                {
                    batches.WaitAll();
                    throw new TrainingInterruptedException(done, VlmModelFolder.Checkpoint(options.OutputDir, done));
                }
            }
            AfterStep?.Invoke(step + 1);
        }
        _ranks.CheckWeightsAgree(trainable);
        model.eval();
    }

    static IReadOnlyList<int> LengthsOf(IReadOnlyList<TrainingExample> examples) =>
        examples is TrainingRows rows ? rows.Lengths : [.. examples.Select(e => e.InputIds.Length)];

    /// <summary>The token-weighted mean loss over <paramref name="validation"/>, in eval mode (no dropout, so the random state is untouched).</summary>
    EvalEntry Evaluate(IReadOnlyList<TrainingExample> validation, int step, Device device)
    {
        model.eval();
        double sum = 0;
        long count = 0;
        using (no_grad())
        {
            for (int i = 0; i < validation.Count; i += options.PerDeviceTrainBatchSize)
            {
                using var scope = NewDisposeScope();
                var batch = TrainingBatch.Create([.. Enumerable.Range(i, Math.Min(options.PerDeviceTrainBatchSize, validation.Count - i)).Select(j => validation[j])], images);
                var (ids, keep, labels, pixels) = batch.ToTensors(device);
                var (loss, tokens) = model.Loss(ids, keep, labels, pixels);
                sum += loss.item<float>() * tokens;
                count += tokens;
            }
        }
        model.train();
        return new EvalEntry(step, sum / count, (int)count);
    }

    /// <summary>Freezes what does not train, adds adapters, and returns AdamW's groups (projector first).</summary>
    List<ParamGroup> Configure(out List<(string Name, TorchSharp.Modules.Parameter Parameter)> trainableParameters)
    {
        var trainable = Prepare(model, options);
        trainableParameters = trainable;
        var roles = ParameterRoles.Of(model);
        bool NoDecay((string Name, TorchSharp.Modules.Parameter) t) => !ParameterRoles.Decays(roles[t.Name]);
        var projector = trainable.Where(t => t.Name.StartsWith("multi_modal_projector.", StringComparison.Ordinal)).ToList();
        var rest = trainable.Except(projector).ToList();
        var groups = new List<ParamGroup>
        {
            new([.. projector.Where(t => !NoDecay(t)).Select(t => t.Parameter)], options.FeatureProjLr, options.WeightDecay),
            new([.. projector.Where(NoDecay).Select(t => t.Parameter)], options.FeatureProjLr, 0),
            new([.. rest.Where(t => !NoDecay(t)).Select(t => t.Parameter)], options.LearningRate, options.WeightDecay),
            new([.. rest.Where(NoDecay).Select(t => t.Parameter)], options.LearningRate, 0),
        };
        return [.. groups.Where(g => g.Parameters.Count > 0)];
    }

    /// <summary>
    /// Makes <paramref name="model"/> train as <paramref name="options"/> say: everything frozen but what
    /// trains, adapters added, the projector in float32; returns the trainable parameters by name (the
    /// model's, and each copy's for <see cref="ThreadReplicas"/>).
    /// </summary>
    static List<(string Name, TorchSharp.Modules.Parameter Parameter)> Prepare(VlmModel model, VlmTrainerOptions options)
    {
        foreach (var p in model.parameters()) p.requires_grad = false;
        if (options.Train == TrainableParts.ProjectorAndLora && !ParameterRoles.Of(model.LanguageModel).ContainsValue(ParameterRole.Adapter))
            LoraLayers.Add(model.LanguageModel, options.LoraSettings(model.LanguageModel));
        var visionLora = options.VisionLoraSettings();
        if (visionLora is not null && !ParameterRoles.Of(model.VisionTower).ContainsValue(ParameterRole.Adapter))
            LoraLayers.Add(model.VisionTower, visionLora);
        // The projector trains in float32 under a bf16/fp16 model, as the LoRA adapters do (LoraLinear): AdamW's
        // small updates would round away in bf16. A fully trained LLM or tower keeps the model's type.
        var projectorType = LoraLinear.AdapterType(model.Projector.parameters().First().dtype);
        if (model.Projector.parameters().First().dtype != projectorType) model.Projector.to(projectorType);
        var roles = ParameterRoles.Of(model);
        var trainable = new List<(string Name, TorchSharp.Modules.Parameter Parameter)>();
        trainable.AddRange(model.Projector.named_parameters().Select(p => ("multi_modal_projector." + p.name, p.parameter)));
        trainable.AddRange(model.LanguageModel.named_parameters()
            .Select(p => (Name: "language_model." + p.name, Parameter: p.parameter))
            .Where(p => options.Train == TrainableParts.Full ? roles[p.Name] != ParameterRole.Adapter
                : options.Train == TrainableParts.ProjectorAndLora && roles[p.Name] == ParameterRole.Adapter));
        if (options.TrainVisionTower) trainable.AddRange(model.VisionTower.named_parameters().Select(p => ("vision_tower." + p.name, p.parameter)));
        if (visionLora is not null)
            trainable.AddRange(model.VisionTower.named_parameters().Where(p => roles["vision_tower." + p.name] == ParameterRole.Adapter).Select(p => ("vision_tower." + p.name, p.parameter)));
        foreach (var (_, p) in trainable) p.requires_grad = true;
        model.TrainVisionTower = options.TrainVisionTower || visionLora is not null; // the tower runs with gradients when any of it trains
        model.LanguageModel.GradientCheckpointing = options.GradientCheckpointing;
        return trainable;
    }
}

/// <summary>
/// A seeded permutation per epoch: sample k of the run is example Order[k]. With lengths
/// (<c>group_by_length</c>), Hugging Face's <c>LengthGroupedSampler</c>: the permutation is cut into
/// mega-batches of up to 50 global batches, each sorted longest first, and the mega-batch holding the
/// longest example goes first (an out-of-memory shows at step 1, not hours in). Batches then hold
/// examples of similar length, so padding to the longest wastes little. Either way the order depends
/// only on the seed, the epoch and the lengths: a resumed run sees the same batches.
/// </summary>
internal sealed class EpochOrder(int count, int seed, IReadOnlyList<int>? lengths = null, int globalBatch = 1)
{
    readonly Dictionary<long, int[]> _epochs = [];

    public int this[long sample]
    {
        get
        {
            long epoch = sample / count;
            lock (_epochs)
            {
                if (!_epochs.TryGetValue(epoch, out var order))
                {
                    order = [.. Enumerable.Range(0, count)];
                    // System.Random with a seed is stable across runs and processes (HashCode is not).
                    new Random(unchecked(seed * 1_000_003 + (int)epoch)).Shuffle(order);
                    if (lengths is not null) order = GroupByLength(order, lengths, globalBatch);
                    _epochs[epoch] = order;
                }
                return order[(int)(sample % count)];
            }
        }
    }

    static int[] GroupByLength(int[] shuffled, IReadOnlyList<int> lengths, int globalBatch)
    {
        int multiple = Math.Max(1, Math.Min(shuffled.Length / (globalBatch * 4), 50));
        var megabatches = shuffled.Chunk(multiple * globalBatch)
            .Select(m => m.OrderByDescending(i => lengths[i]).ToArray()) // stable: ties keep the shuffled order
            .ToList();
        int longest = 0;
        for (int m = 1; m < megabatches.Count; m++)
            if (lengths[megabatches[m][0]] > lengths[megabatches[longest][0]]) longest = m;
        (megabatches[0][0], megabatches[longest][0]) = (megabatches[longest][0], megabatches[0][0]);
        return [.. megabatches.SelectMany(m => m)];
    }
}
