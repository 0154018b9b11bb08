using Microsoft.ML;
using TorchSharp;
using Vlm.Trainers.Distributed;
using Vlm.Trainers.Training;

namespace Vlm.Pipeline.Cli;

/// <summary>
/// Where a command's model runs (<c>--device</c>) and in which floating-point type (<c>--precision</c>),
/// for every command that trains or loads a model. The device goes to the <see cref="MLContext"/>
/// (<c>GpuDeviceId</c>, <c>FallbackToCpu</c>), as ML.NET's own TorchSharp trainers take it.
/// </summary>
internal static class DeviceArguments
{
    public static CommandOption Device { get; } = new("device",
        "auto (this process's CUDA device, by its local rank, when CUDA is there; else the CPU), cpu, cuda (the local rank's device) or cuda:N", Default: "auto");

    /// <summary>The precision's words, in <see cref="TensorPrecision"/>'s order.</summary>
    public static readonly string[] PrecisionWords = ["auto", "fp32", "bf16"];

    public const string PrecisionHelp = "weights' type: auto (bf16 on CUDA, fp32 on the CPU), fp32 or bf16; LoRA adapters and the projector stay fp32 under a bf16 base";

    public static CommandOption Precision { get; } = new("precision", PrecisionHelp, Default: PrecisionWords[0]);

    /// <summary>An <see cref="MLContext"/> whose device is <c>--device</c>'s.</summary>
    public static MLContext Context(CommandLine args, int? seed = null)
    {
        var ml = new MLContext(seed);
        string given = args.ValueOrDefault(Device.Name);
        bool auto = given.Equals("auto", StringComparison.OrdinalIgnoreCase);
        ml.GpuDeviceId = auto ? LocalRank : CudaIndex(given);
        ml.FallbackToCpu = auto || ml.GpuDeviceId is null;
        return ml;
    }

    /// <summary>
    /// The device <c>--device</c> names, for a command that places tensors itself rather than through an
    /// <see cref="MLContext"/> (cpu, cuda or cuda:N; auto is not taken): a usage error when CUDA is named but not there.
    /// </summary>
    public static torch.Device Explicit(CommandLine args)
    {
        string given = args.ValueOrDefault(Device.Name);
        if (given.Equals("auto", StringComparison.OrdinalIgnoreCase)) throw new UsageException("--device must be cpu, cuda or cuda:N here");
        if (CudaIndex(given) is not { } id) return torch.CPU;
        Vlm.Trainers.Runtime.TorchRuntime.EnsureLoaded();
        return torch.cuda.is_available() ? new torch.Device(DeviceType.CUDA, id)
            : throw new UsageException($"--device {given}: CUDA is not available (a CPU build of TorchSharp, or no GPU)");
    }

    // One GPU per rank: a rank's device is its local rank.
    static int LocalRank => DistributedWorld.FromEnvironment().LocalRank;

    /// <summary>The CUDA device index <paramref name="given"/> names (cuda: the local rank's), or null for cpu.</summary>
    static int? CudaIndex(string given) => given.ToLowerInvariant() switch
    {
        "cpu" => null,
        "cuda" => LocalRank,
        var d when d.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(d[5..], out int id) && id >= 0 => id,
        _ => throw new UsageException($"--device must be auto, cpu, cuda or cuda:N, not '{given}'"),
    };

    /// <summary><c>--precision</c>'s value; <paramref name="fallback"/> when it is not given.</summary>
    public static TensorPrecision PrecisionOf(CommandLine args, TensorPrecision fallback = TensorPrecision.Auto)
    {
        if (args.Value(Precision.Name) is not { } given) return fallback;
        int index = Array.IndexOf(PrecisionWords, given);
        return index >= 0 ? (TensorPrecision)index : throw new UsageException($"--precision must be {string.Join(", ", PrecisionWords)}, not '{given}'");
    }

    /// <summary>The tensor type of <c>--precision</c> on <paramref name="device"/> (auto: bf16 on CUDA, fp32 on the CPU).</summary>
    public static torch.ScalarType TypeOf(CommandLine args, torch.Device device, TensorPrecision fallback) =>
        Vlm.Trainers.Estimator.TorchDevice.DType(PrecisionOf(args, fallback), device);
}
