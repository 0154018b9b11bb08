using Vlm.Pipeline.Bench;
using Vlm.Pipeline.Cli;
using Vlm.Trainers.Runtime;

namespace Vlm.Pipeline.Commands;

/// <summary>
/// <c>vlm bench</c>: measures the tokenizer, image preprocessing, the ETL, a training step and
/// generation side by side with their peers in one run, and writes the table and chart.
/// </summary>
internal sealed class BenchCommand : ICommand
{
    static readonly string[] Areas = ["tokenizer", "images", "etl", "training", "generation", "distributed"];

    public string Name => "bench";
    public string Summary => "measure against peers (HF tokenizers, decode-only, bare GEMM, PyTorch) and write docs/benchmarks/";
    public string Example => "vlm bench --out docs/benchmarks   (or a quick check: vlm bench --quick --only images,generation --out /tmp/bench)";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("out", "folder for README.md (the table) and ratios.png", Default: "docs/benchmarks"),
        new("only", $"comma-separated areas ({string.Join(", ", Areas)})", Default: "all"),
        new("quick", "tiny sizes: checks that every measurement runs, numbers mean little", IsFlag: true),
        new("child", "internal: one measurement in a process of its own (etl, train-step, attention, long-answers, train-rows, allreduce: under mpirun)"),
        new("elements", "internal: fp32 values per all-reduce for the allreduce child"),
        new("repeats", "internal: timed all-reduces for the allreduce child"),
        new("distributed", "internal: the allreduce child's collectives: mpi (under mpirun), or nccl on --device cuda (on the CPU through a stand-in named by VLM_NCCL_LIBRARY)", Default: "mpi"),
        new("records", "internal: records for the etl child"),
        new("data", "internal: the shards folder for the train-rows child (--out: its output folder)"),
        new("model", "internal: the init-tiny folder for the train-rows child"),
        new("steps", "internal: steps for the train-step and lora-step children", Default: "3"),
        new("seconds", "internal: how long the attention child measures", Default: "30"),
        new("checkpointing", "internal: gradient checkpointing for the train-step child", IsFlag: true),
        new("glibc_defaults", "internal: the train-step child leaves glibc's allocator untuned", IsFlag: true),
        new("plain_loss", "internal: the train-step and long-answers children compute the loss unfused (full logits)", IsFlag: true),
        new("shape", "internal: the train-step and lora-step children's shape (demo: vlm demo's LLM step; gpu: Qwen2-0.5B's LLM, 8 x 1024 tokens)"),
        new(DeviceArguments.Device.Name, "internal: the lora-step child's device (cpu, cuda, cuda:N)", Default: "cpu"),
        new(DeviceArguments.Precision.Name, "internal: the lora-step child's base type (fp32 or bf16)", Default: "fp32"),
        new("lora_rank", "internal: the lora-step child's LoRA rank", Default: "64"),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        bool quick = args.Flag("quick");
        var shape = args.Value("shape") switch
        {
            null => quick ? new StepShape { Layers = 1, Hidden = 64, Intermediate = 128, Batch = 1, Tokens = 48, ImageTokens = 16 } : new StepShape(),
            "demo" => StepShape.Demo,
            "gpu" => StepShape.Gpu,
            var other => throw new UsageException($"--shape {other} is not a step shape (demo, gpu)"),
        };
        switch (args.Value("child"))
        {
            case null:
                break;
            case EtlBench.Child:
                EtlBench.RunChild(args.Int("records", 1000), output);
                return ExitCodes.Ok;
            case TrainingStepBench.Child:
                TrainingStepBench.RunChild(shape, args.Int("steps"), args.Flag("checkpointing"), args.Flag("glibc_defaults"), args.Flag("plain_loss"), output);
                return ExitCodes.Ok;
            case LoraStepBench.Child:
                var device = DeviceArguments.Explicit(args);
                LoraStepBench.RunChild(shape, args.Int("steps"), args.Int("lora_rank"), device,
                    DeviceArguments.TypeOf(args, device, Vlm.Trainers.Training.TensorPrecision.Float32), output);
                return ExitCodes.Ok;
            case AttentionKernelBench.Child:
                AttentionKernelBench.RunChild(args.Double("seconds"), output);
                return ExitCodes.Ok;
            case LossMemoryBench.Child:
                LossMemoryBench.RunChild(args.Flag("plain_loss"), quick, output);
                return ExitCodes.Ok;
            case TrainingDataBench.Child:
                TrainingDataBench.RunChild(args.Value("data") ?? throw new UsageException("--data is needed"), args.Value("model") ?? throw new UsageException("--model is needed"),
                    args.Value("out") ?? throw new UsageException("--out is needed"), output);
                return ExitCodes.Ok;
            case AllReduceBench.Child:
                AllReduceBench.RunChild(args.Long("elements", 1 << 20), args.Int("repeats", 9), args.ValueOrDefault("distributed"),
                    args.Value(DeviceArguments.Device.Name) is null ? null : DeviceArguments.Explicit(args), output);
                return ExitCodes.Ok;
            default:
                throw new UsageException($"--child {args.Value("child")} is not a measurement");
        }

        string only = args.ValueOrDefault("only");
        var selected = only == "all" ? Areas : only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var area in selected)
            if (!Areas.Contains(area)) throw new UsageException($"--only: unknown area '{area}' ({string.Join(", ", Areas)})");
        string folder = args.ValueOrDefault("out");
        string peers = Path.Combine(AppContext.BaseDirectory, "benchmarks");
        string work = Path.Combine(Path.GetTempPath(), $"vlm-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        var rows = new List<BenchRow>();
        void Log(string line)
        {
            output.WriteLine(line);
            output.Flush();
        }
        try
        {
            AllocatorTuning.Apply();
            if (selected.Contains("tokenizer")) rows.AddRange(TokenizerBench.Run(work, quick ? 600 : 30_000, Path.Combine(peers, "node"), Log));
            if (selected.Contains("images")) rows.AddRange(ImageBench.Run(work, quick ? 8 : 200, Log));
            if (selected.Contains("etl")) rows.AddRange(quick ? EtlBench.Run(500, 2_000, 1, Log) : EtlBench.Run(20_000, 80_000, 5, Log));
            if (selected.Contains("training"))
            {
                rows.AddRange(TrainingStepBench.Run(shape, quick ? 1 : 5, Path.Combine(peers, "python", "train_step.py"), quick ? ["--quick"] : [], Log));
                rows.Add(TrainingStepBench.DemoShape(quick ? 3 : 50, Path.Combine(peers, "python", "train_step.py"), Log));
                rows.Add(AttentionKernelBench.Run(quick ? 1 : 30, Log));
                rows.AddRange(LossMemoryBench.Run(quick, Log));
                rows.AddRange(LengthGroupingBench.Run(shape, quick, Log));
                rows.AddRange(TrainingDataBench.Run(work, quick, Log));
                rows.AddRange(VisionFeatureBench.Run(work, shape, quick, Log));
            }
            if (selected.Contains("generation")) rows.AddRange(quick ? GenerationBench.Run(shape, 16, 4, Log) : GenerationBench.Run(shape, 300, 32, Log));
            if (selected.Contains("distributed")) rows.AddRange(DistributedBench.Run(work, quick, Log));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        string command = "vlm bench" + (quick ? " --quick" : "") + (only == "all" ? "" : $" --only {only}");
        BenchReport.Write(folder, rows, command, Machine(), Notes(shape));
        Log($"wrote      {Path.Combine(Path.GetFullPath(folder), BenchReport.TableFile)} and {BenchReport.ChartFile}");
        int missed = rows.Count(r => r.Met == false);
        Log(missed == 0 ? "targets    all met" : $"targets    {missed} of {rows.Count(r => r.Met is not null)} missed (see the table)");
        return ExitCodes.Ok;
    }

    static IEnumerable<string> Machine()
    {
        string cpu = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU" : "unknown CPU";
        yield return $"{Environment.ProcessorCount} cores ({cpu}), {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024):F0} GiB; .NET {Environment.Version}; TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, fp32 on the CPU";
    }

    static IEnumerable<string> Notes(StepShape shape)
    {
        yield return $"Training step: Qwen2 shape, {shape.Layers} layers, hidden {shape.Hidden}, {shape.Heads} heads ({shape.KeyValueHeads} key/value), intermediate {shape.Intermediate}, "
            + $"vocabulary {shape.Vocab:N0} (tied head, run on the {shape.Labelled} labelled positions only), batch {shape.Batch} x {shape.Tokens} tokens of which {shape.ImageTokens} stand for image features; "
            + "AdamW over every LLM weight; the median of 5 steps after one warm-up step (PyTorch: after two). Model FLOP/s counts the forward products and attention times 3.";
        yield return "Peers run in processes of their own: Node for the tokenizers (RAYON_NUM_THREADS=1), /usr/bin/python3 with Debian's python3-torch for the training step (same thread count). "
            + "The ETL sizes and the training step with and without gradient checkpointing also run in processes of their own, so that each peak RSS is its own.";
    }
}
