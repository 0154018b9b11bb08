using Microsoft.ML;
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
        string given = args.Value(Device.Name) ?? "auto";
        int local = DistributedWorld.FromEnvironment().LocalRank; // one GPU per rank: a rank's device is its local rank
        (ml.GpuDeviceId, ml.FallbackToCpu) = given.ToLowerInvariant() switch
        {
            "auto" => ((int?)local, true),
            "cpu" => (null, true),
            "cuda" => (local, false),
            var d when d.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(d[5..], out int id) && id >= 0 => (id, false),
            _ => throw new UsageException($"--device must be auto, cpu, cuda or cuda:N, not '{given}'"),
        };
        return ml;
    }

    /// <summary><c>--precision</c>'s value.</summary>
    public static TensorPrecision PrecisionOf(CommandLine args)
    {
        string given = args.Value(Precision.Name) ?? PrecisionWords[0];
        int index = Array.IndexOf(PrecisionWords, given);
        return index >= 0 ? (TensorPrecision)index : throw new UsageException($"--precision must be {string.Join(", ", PrecisionWords)}, not '{given}'");
    }
}
