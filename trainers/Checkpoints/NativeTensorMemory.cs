using System.Runtime.InteropServices;
using TorchSharp;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// Raw access to a CPU tensor's storage. TorchSharp's <c>Tensor.bytes</c> is a <c>Span&lt;byte&gt;</c>
/// and so stops at 2 GB (Qwen-7B's fp32 embedding is 2.5 GB); the native data pointer has no such limit.
/// </summary>
internal static class NativeTensorMemory
{
    [DllImport("LibTorchSharp")]
    static extern IntPtr THSTensor_data(IntPtr handle);

    /// <summary>The first byte of a contiguous CPU tensor's data.</summary>
    public static IntPtr DataPointer(torch.Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException("raw access needs a contiguous CPU tensor", nameof(tensor));
        IntPtr data = THSTensor_data(tensor.Handle);
        if (data == IntPtr.Zero && tensor.numel() > 0) torch.CheckForErrors();
        return data;
    }

    /// <summary>The first byte of a contiguous tensor's data on any device (a CUDA tensor's is a device address, for libraries that take one).</summary>
    public static IntPtr StoragePointer(torch.Tensor tensor)
    {
        if (!tensor.is_contiguous()) throw new ArgumentException("raw access needs a contiguous tensor", nameof(tensor));
        IntPtr data = THSTensor_data(tensor.Handle);
        if (data == IntPtr.Zero && tensor.numel() > 0) torch.CheckForErrors();
        return data;
    }

    public static long ByteLength(torch.Tensor tensor) => tensor.numel() * tensor.element_size();
}
