using Microsoft.ML;
using TorchSharp;
using Vlm.Trainers.Training;
using static TorchSharp.torch;

namespace Vlm.Trainers.Estimator;

/// <summary>The device and precision for an <see cref="MLContext"/>, as Microsoft.ML.TorchSharp chooses them.</summary>
internal static class TorchDevice
{
    /// <summary>CUDA device <c>GpuDeviceId</c> when it is set and CUDA is there; the CPU when it is not set, or when CUDA is missing and <c>FallbackToCpu</c> allows it.</summary>
    public static Device Select(MLContext ml)
    {
        Runtime.TorchRuntime.EnsureLoaded(); // the first touch of TorchSharp when training or loading a model: a failure explained here
        if (ml.GpuDeviceId is not { } id) return CPU;
        if (cuda.is_available()) return new Device(DeviceType.CUDA, id);
        if (ml.FallbackToCpu) return CPU;
        throw new InvalidOperationException($"MLContext.GpuDeviceId is {id} but CUDA is not available (a CPU build of TorchSharp, or no GPU); set MLContext.FallbackToCpu to use the CPU");
    }

    /// <summary>bfloat16 on CUDA and float32 on the CPU unless told otherwise: bfloat16 matmuls are about 100x slower than float32 on CPUs without bf16 units.</summary>
    public static ScalarType DType(TensorPrecision precision, Device device) => precision switch
    {
        TensorPrecision.Float32 => float32,
        TensorPrecision.BFloat16 => bfloat16,
        _ => device.type == DeviceType.CUDA ? bfloat16 : float32,
    };
}
