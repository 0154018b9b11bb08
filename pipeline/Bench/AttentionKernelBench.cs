using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Runtime;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// libtorch's fused attention at the demo's shapes (8 rows x 4 heads x 96 tokens x 16, causal mask,
/// forward + backward, one thread: one model copy's share of a demo batch) for a while in two
/// processes, one on its AVX2 kernels (vlm's choice, <see cref="CpuKernels"/>) and one on its AVX-512
/// ones (libtorch's own choice on a CPU that has them). The AVX-512 kernels' slow stretches began 0-19
/// seconds into a process and then held, so the row compares the slowest tenth of calls, and names the
/// medians.
/// </summary>
internal static class AttentionKernelBench
{
    public const string Child = "attention";
    const int Rows = 8, Heads = 4, Tokens = 96, HeadSize = 16;

    public static BenchRow Run(double seconds, Action<string> log)
    {
        JsonElement Measure(string capability) => PeerProcess.Self(new Dictionary<string, string> { [CpuKernels.Variable] = capability },
            "bench", "--child", Child, "--seconds", seconds.ToString(CultureInfo.InvariantCulture));
        var avx2 = Measure("avx2");
        var avx512 = Measure("avx512");
        static double Rate(JsonElement child, string key) => 1 / child.GetProperty(key).GetDouble();
        static string Describe(JsonElement child) =>
            $"{child.GetProperty("cpu_kernels").GetString()}: median {child.GetProperty("call_seconds").GetDouble() * 1000:F2} ms, "
            + $"slowest tenth {child.GetProperty("slow_call_seconds").GetDouble() * 1000:F2} ms over {child.GetProperty("calls").GetInt32()} calls";
        log($"attention kernels, {seconds:F0} s each: {Describe(avx2)}; {Describe(avx512)}");
        return new("training", $"demo-shape attention forward + backward per second over {seconds:F0} s, slowest tenth of calls: libtorch's AVX2 kernels vs its AVX-512 ones",
            "calls/s", Rate(avx2, "slow_call_seconds"), $"{avx512.GetProperty("cpu_kernels").GetString()} kernels", Rate(avx512, "slow_call_seconds"), 1.0,
            $"medians {Rate(avx2, "call_seconds"):F0} vs {Rate(avx512, "call_seconds"):F0} calls/s");
    }

    public static void RunChild(double seconds, TextWriter output)
    {
        set_num_threads(1);
        manual_seed(1);
        using var q = randn(Rows, Heads, Tokens, HeadSize, requires_grad: true);
        using var k = randn(Rows, Heads, Tokens, HeadSize, requires_grad: true);
        using var v = randn(Rows, Heads, Tokens, HeadSize, requires_grad: true);
        using var keep = ones(Rows, Tokens, int64);
        using var mask = AttentionMask.Causal(keep, Tokens, float32); // the model's own mask
        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || times.Count < 10)
        {
            var call = Stopwatch.StartNew();
            using (NewDisposeScope())
                nn.functional.scaled_dot_product_attention(q, k, v, mask).sum().backward();
            times.Add(call.Elapsed.TotalSeconds);
        }
        times.Sort();
        output.WriteLine(JsonSerializer.Serialize(new
        {
            call_seconds = times[times.Count / 2], slow_call_seconds = times[times.Count * 9 / 10], calls = times.Count,
            cpu_kernels = CpuKernels.Chosen() ?? "unknown",
        }));
    }
}
