using System.Text.Json;
using TorchSharp;
using Vlm.Trainers.Runtime;
using Vlm.Trainers.Training;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// One training step of <see cref="StepShape"/> (forward, loss on the labelled rows, backward,
/// AdamW), fp32 on the CPU: tokens/s, model FLOP/s against the same process's bare GEMM rate at
/// the model's matrix sizes, gradient checkpointing on against off (each in a process of its own,
/// for its peak memory), and the same step in PyTorch (Debian's python3-torch).
/// </summary>
internal static class TrainingStepBench
{
    public const string Child = "train-step";

    /// <param name="childArguments">what makes the child build the same <paramref name="shape"/> (--quick)</param>
    public static IEnumerable<BenchRow> Run(StepShape shape, int steps, string pythonScript, string[] childArguments, Action<string> log)
    {
        var off = PeerProcess.Self(["bench", "--child", Child, "--steps", steps.ToString(), .. childArguments]);
        var unfused = PeerProcess.Self(["bench", "--child", Child, "--steps", steps.ToString(), "--plain_loss", .. childArguments]);
        // Memory with and without checkpointing under glibc's defaults, where the peak follows the live tensors.
        var plain = PeerProcess.Self(["bench", "--child", Child, "--steps", steps.ToString(), "--glibc_defaults", .. childArguments]);
        var on = PeerProcess.Self(["bench", "--child", Child, "--steps", steps.ToString(), "--checkpointing", "--glibc_defaults", .. childArguments]);
        double seconds = off.GetProperty("step_seconds").GetDouble(), gemm = off.GetProperty("gemm_flops").GetDouble();
        double tokens = (double)shape.Batch * shape.Tokens;
        double flops = shape.StepFlops() / seconds;
        log($"train step {seconds:F2} s/step, {tokens / seconds:F0} tokens/s, {flops / 1e9:F1} GFLOP/s model vs {gemm / 1e9:F1} GFLOP/s bare GEMM ({off.GetProperty("threads").GetInt32()} threads)");
        double onSeconds = on.GetProperty("step_seconds").GetDouble(), plainSeconds = plain.GetProperty("step_seconds").GetDouble();
        double peakOff = plain.GetProperty("peak_bytes").GetInt64() / 1048576.0, peakOn = on.GetProperty("peak_bytes").GetInt64() / 1048576.0;
        log($"train step checkpointing (glibc defaults): {onSeconds:F2} s/step, peak {peakOn:F0} MB; off: {plainSeconds:F2} s/step, peak {peakOff:F0} MB; "
            + $"tuned allocator off: peak {off.GetProperty("peak_bytes").GetInt64() / 1048576.0:F0} MB");
        double unfusedSeconds = unfused.GetProperty("step_seconds").GetDouble();
        log($"train step plain (unfused) loss: {unfusedSeconds:F2} s/step, peak {unfused.GetProperty("peak_bytes").GetInt64() / 1048576.0:F0} MB; fused: peak {off.GetProperty("peak_bytes").GetInt64() / 1048576.0:F0} MB");
        var rows = new List<BenchRow>
        {
            new("training", "tokens/s with the fused chunked loss vs the plain loss", "tokens/s", tokens / seconds, "plain loss, same model", tokens / unfusedSeconds, 0.9),
            new("training", "model FLOP/s vs bare fp32 GEMM at the model's sizes", "GFLOP/s", flops / 1e9, "torch.mm, same process", gemm / 1e9, 0.5),
            new("training", "gradient checkpointing: peak RSS on / off (glibc's default allocator)", "MB", peakOn, "off", peakOff, null, $"time on / off {onSeconds / plainSeconds:F2}x"),
        };
        rows.Add(VersusPyTorch("tokens/s vs PyTorch (python3-torch, CPU)", shape, steps, tokens / seconds, pythonScript, log));
        return rows;
    }

    /// <summary>
    /// The demo's LLM step (<see cref="StepShape.Demo"/>), ours against PyTorch's at the same shapes and
    /// threads: at these sizes a step is a few hundred small operations, so this row shows the
    /// per-operation cost of TorchSharp and of our modules rather than BLAS speed.
    /// </summary>
    public static BenchRow DemoShape(int steps, string pythonScript, Action<string> log)
    {
        var ours = PeerProcess.Self(["bench", "--child", Child, "--steps", steps.ToString(), "--shape", "demo"]);
        var shape = StepShape.Demo;
        double seconds = ours.GetProperty("step_seconds").GetDouble(), tokens = (double)shape.Batch * shape.Tokens;
        log($"demo-shape step {seconds * 1000:F1} ms, {tokens / seconds:F0} tokens/s ({ours.GetProperty("threads").GetInt32()} threads)");
        return VersusPyTorch("demo-shape tokens/s vs PyTorch (vlm demo's LLM step, CPU)", shape, steps, tokens / seconds, pythonScript, log);
    }

    static BenchRow VersusPyTorch(string what, StepShape shape, int steps, double tokensPerSecond, string pythonScript, Action<string> log)
    {
        if (!File.Exists("/usr/bin/python3")) return new("training", what, "tokens/s", tokensPerSecond, "(python3 missing)", 0, 1.0);
        try
        {
            var peer = PeerProcess.Run("/usr/bin/python3", [pythonScript, .. new[] { shape.Layers, shape.Hidden, shape.Heads, shape.KeyValueHeads, shape.Intermediate, shape.Vocab,
                shape.Batch, shape.Tokens, shape.ImageTokens, Environment.ProcessorCount, steps }.Select(v => v.ToString())])[0];
            double peerSeconds = peer.GetProperty("step_seconds").GetDouble();
            log($"{what}: PyTorch {peer.GetProperty("torch").GetString()} {peerSeconds * 1000:F1} ms/step ({peer.GetProperty("threads").GetInt32()} threads)");
            return new("training", what, "tokens/s", tokensPerSecond, $"PyTorch {peer.GetProperty("torch").GetString()}", (double)shape.Batch * shape.Tokens / peerSeconds, 1.0,
                $"BLAS: {Blas()}");
        }
        catch (InvalidOperationException e)
        {
            log($"{what}: the PyTorch peer failed: {e.Message} (apt-get install python3-torch)");
            return new("training", what, "tokens/s", tokensPerSecond, "(python3-torch missing)", 0, 1.0);
        }
    }

    static string Blas()
    {
        var link = new FileInfo("/usr/lib/x86_64-linux-gnu/libblas.so.3");
        return link.Exists ? link.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? link.FullName : "unknown";
    }

    /// <param name="glibcDefaults">leave glibc's allocator as it is: peak RSS then follows live tensors instead of the
    /// tuned allocator's retained heap (which keeps freed blocks for speed and raises the peak, 6.0 GB against 3.6 GB here)</param>
    public static void RunChild(StepShape shape, int steps, bool checkpointing, bool glibcDefaults, bool plainLoss, TextWriter output)
    {
        if (!glibcDefaults) AllocatorTuning.Apply();
        torch.manual_seed(1);
        using var model = shape.Build();
        model.FusedLoss = !plainLoss;
        model.train();
        model.LanguageModel.GradientCheckpointing = checkpointing;
        using var optimizer = new AdamW([new ParamGroup([.. model.LanguageModel.parameters()], 1e-4, 0)]);
        using var ids = randint(1, shape.Vocab, [shape.Batch, shape.Tokens]); // 0 is the image token of the minimal tower, unused here
        using var keep = ones_like(ids);
        using var labels = ids.clone();
        labels[.., ..shape.ImageTokens] = tensor(-100L);
        var times = new List<double>();
        for (int step = 0; step < steps + 1; step++)
        {
            double seconds = BenchStep.Run(model, optimizer, ids, keep, labels);
            if (step > 0) times.Add(seconds); // the first step allocates the optimizer state
        }
        times.Sort();
        long peak = PeakMemory.Bytes(); // before the GEMM measurement, whose head-sized product would set its own peak
        output.WriteLine(JsonSerializer.Serialize(new
        {
            step_seconds = times[times.Count / 2], gemm_flops = shape.GemmRate(), peak_bytes = peak, threads = torch.get_num_threads(),
        }));
    }

}
