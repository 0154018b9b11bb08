using TorchSharp;

namespace Vlm.Trainers.Distributed;

/// <summary>
/// The collectives data-parallel training needs, in place on a tensor of any layout (a strided view goes
/// through a contiguous copy written back): CPU fp32/fp64 sums over MPI, sums of the float and integer
/// types on the GPU over NCCL (a CPU tensor through a copy on the device). Every rank calls each one in
/// the same order with tensors of the same shape.
/// </summary>
public interface ICollectives : IDisposable
{
    DistributedWorld World { get; }

    /// <summary>Sums <paramref name="tensor"/> over the ranks, in place.</summary>
    void AllReduceSum(torch.Tensor tensor);

    /// <summary>Overwrites <paramref name="tensor"/> on every rank with rank <paramref name="root"/>'s.</summary>
    void Broadcast(torch.Tensor tensor, int root = 0);

    /// <summary>Returns when every rank has called it.</summary>
    void Barrier();

    /// <summary>Ends every rank at once after a failure here, so that none waits forever in a collective.</summary>
    void Abort(int exitCode);
}

/// <summary>A world of one: every collective is the identity.</summary>
public sealed class SingleProcess : ICollectives
{
    public DistributedWorld World => DistributedWorld.Single;
    public void AllReduceSum(torch.Tensor tensor) { }
    public void Broadcast(torch.Tensor tensor, int root = 0) { }
    public void Barrier() { }
    public void Abort(int exitCode) => Environment.Exit(exitCode);
    public void Dispose() { }
}
