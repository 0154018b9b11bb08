using System.Globalization;
using System.Text.RegularExpressions;
using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Commands;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// Data-parallel training on this machine: <c>vlm train</c> as one process (batch 2B) against
/// <c>mpirun -np 2</c> (batch B each, the same global batch), samples/s over the second half of the
/// run, each process given an equal share of the cores; and the time of one all-reduce of the run's
/// trainable gradients (LoRA and projector) between the two ranks.
/// </summary>
internal static partial class DistributedBench
{
    public static IEnumerable<BenchRow> Run(string work, bool quick, Action<string> log)
    {
        if (!File.Exists("/usr/bin/mpirun"))
        {
            log("distributed no /usr/bin/mpirun (Debian: openmpi-bin): not measured");
            return [];
        }
        var runner = new CommandRunner([new InitTinyCommand(), new MakeSamplesCommand(), new PrepareCommand()]);
        void Step(params string[] args)
        {
            var text = new StringWriter();
            if (runner.Run(args, text, text) != 0) throw new InvalidOperationException($"vlm {string.Join(' ', args)}: {text}");
        }
        string root = Path.Combine(work, "distributed");
        Step("init-tiny", "--out", Path.Combine(root, "tiny"), "--hidden", "64", "--layers", "2", "--image_size", "32", "--patch-size", "8");
        Step("make-samples", "--output", Path.Combine(root, "samples"), "--count", "256");
        Step("prepare", "--format", "llava", "--annotations", Path.Combine(root, "samples", "llava.json"), "--images", Path.Combine(root, "samples", "images"),
            "--output", Path.Combine(root, "shards"), "--tokenizer", Path.Combine(root, "tiny", "llm"), "--image_tokens", "16", "--system_prompt", "");
        int steps = quick ? 8 : 60, batch = 8;
        string[] Train(string output, int perRank) =>
        [
            "train", "--data", Path.Combine(root, "shards"), "--llm", Path.Combine(root, "tiny", "llm"), "--vision", Path.Combine(root, "tiny", "vision"),
            "--output_dir", Path.Combine(root, output), "--lora_rank", "8", "--lora_dropout", "0", "--per_device_train_batch_size", perRank.ToString(),
            "--max_steps", steps.ToString(), "--logging_steps", (steps / 2).ToString(), "--save_steps", "100000", "--seed", "7",
        ];
        int threads = Math.Max(1, Environment.ProcessorCount);
        double one = SamplesPerSecond(Self(Train("one", batch), threads));
        double two = SamplesPerSecond(Mpirun(2, Train("two", batch / 2), Math.Max(1, threads / 2)));
        log($"distributed 1 process x batch {batch}: {one:F1} samples/s; 2 ranks x batch {batch / 2}: {two:F1} samples/s");

        long gradients = 0; // the trainable values: the adapter's and the projector's
        foreach (var file in Directory.GetFiles(Path.Combine(root, "two", "model"), "*.safetensors"))
        {
            using var weights = Trainers.Checkpoints.SafetensorsFile.Open(file);
            gradients += weights.Names.Sum(name => weights.Entry(name).Shape.Aggregate(1L, (a, b) => a * b));
        }
        string allReduce = Mpirun(2, ["bench", "--child", AllReduceBench.Child, "--elements", gradients.ToString(CultureInfo.InvariantCulture)], Math.Max(1, threads / 2));
        double milliseconds = AllReduceMilliseconds().Matches(allReduce).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Max();
        log($"distributed all-reduce of {gradients:N0} fp32 gradients: {milliseconds:F3} ms per step");
        return
        [
            new BenchRow("distributed", $"training samples/s, 2 MPI ranks vs 1 process (same global batch {batch}, {threads} cores shared)", "samples/s", two, "1 process", one, null,
                $"all-reduce of {gradients:N0} gradients {milliseconds:F2} ms per step"),
        ];
    }

    static double SamplesPerSecond(string output) =>
        TrainingLine().Matches(output).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).LastOrDefault()
        is var rate and > 0 ? rate : throw new InvalidOperationException($"no samples/s line in the training output: {output}");

    [GeneratedRegex(@"([0-9.]+) samples/s")]
    private static partial Regex TrainingLine();

    [GeneratedRegex("\"allreduce_ms\":([0-9.]+)")]
    private static partial Regex AllReduceMilliseconds();

    static string Self(string[] args, int threads)
    {
        var (file, prefix) = PeerProcess.SelfCommand();
        return PeerProcess.RunText(file, [.. prefix, .. args], environment: ChildEnvironment(threads), timeout: TimeSpan.FromMinutes(20));
    }

    static string Mpirun(int ranks, string[] args, int threads)
    {
        var (file, prefix) = PeerProcess.SelfCommand();
        return PeerProcess.RunText("/usr/bin/mpirun", ["-np", ranks.ToString(), "--oversubscribe", "-x", $"OMP_NUM_THREADS={threads}", file, .. prefix, .. args],
            environment: ChildEnvironment(threads), timeout: TimeSpan.FromMinutes(20));
    }

    // One torch thread count per process; Open MPI refuses root unless told twice.
    static Dictionary<string, string> ChildEnvironment(int threads) => new()
    {
        ["OMP_NUM_THREADS"] = threads.ToString(), ["OMPI_ALLOW_RUN_AS_ROOT"] = "1", ["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1",
    };
}
