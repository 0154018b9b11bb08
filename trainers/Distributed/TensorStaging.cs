using TorchSharp;

namespace Vlm.Trainers.Distributed;

/// <summary>What a collective library needs of a tensor: contiguous storage on its device (MPI's: the CPU; NCCL's: the rank's GPU).</summary>
internal static class TensorStaging
{
    /// <summary>
    /// Runs <paramref name="call"/> on the tensor itself when it is contiguous on <paramref name="device"/>, else on a
    /// contiguous copy there that is written back afterwards (a strided view, or a CPU scalar under NCCL).
    /// </summary>
    public static void OnDevice(torch.Tensor tensor, torch.Device device, Action<torch.Tensor> call)
    {
        // Compared by type and index (two Device objects for one device are not the same reference); any CPU tensor is on the CPU.
        bool there = tensor.device_type == device.type && (device.type == DeviceType.CPU || tensor.device_index == device.index);
        if (there && tensor.is_contiguous())
        {
            call(tensor);
            return;
        }
        using var work = tensor.to(device).contiguous();
        call(work);
        tensor.copy_(work);
    }
}
