using TorchSharp;
using Vlm.Trainers.Checkpoints;

namespace Vlm.Trainers.Distributed;

/// <summary>
/// Collectives over NCCL (<see cref="NcclLibrary"/>) on the rank's CUDA device, one communicator per run.
/// Rank 0's NCCL id reaches the others over MPI when an MPI launcher started the ranks (mpirun, srun
/// --mpi=pmix), else over TCP (<see cref="TcpRendezvous"/>: torchrun). Calls go on the default stream, so
/// they are ordered with libtorch's kernels; a CPU tensor (the trainer's scalars and random states) is
/// reduced through a copy on the device.
/// </summary>
public sealed unsafe class NcclCollectives : ICollectives
{
    readonly NcclLibrary _nccl;
    readonly MpiCollectives? _mpi;
    readonly torch.Device _device;
    nint _comm;

    NcclCollectives(NcclLibrary nccl, MpiCollectives? mpi, torch.Device device, nint comm, DistributedWorld world)
    {
        (_nccl, _mpi, _device, _comm) = (nccl, mpi, device, comm);
        World = world;
    }

    public DistributedWorld World { get; }

    /// <summary>NCCL's communicator for <paramref name="world"/> on <paramref name="device"/> (the local rank's GPU).</summary>
    /// <param name="fingerprint">the run's configuration: ranks of another run are refused at a TCP rendezvous</param>
    internal static NcclCollectives Start(DistributedWorld world, torch.Device device, string fingerprint, NcclLibrary nccl, Func<string, string?> environment)
    {
        var mpi = world.Launcher is "openmpi" or "mpich" ? MpiCollectives.Start(world) : null;
        try
        {
            var id = new NcclUniqueId();
            if (world.IsMain) nccl.Check(nccl.GetUniqueId(&id), "ncclGetUniqueId");
            byte[] shared;
            if (!world.IsDistributed)
            {
                shared = id.ToArray();
            }
            else if (mpi is not null)
            {
                using var bytes = torch.tensor(id.ToArray());
                mpi.Broadcast(bytes, root: 0);
                shared = bytes.data<byte>().ToArray();
            }
            else
            {
                shared = TcpRendezvous.Exchange(world, TcpRendezvous.EndPoint(world, environment), id.ToArray(), fingerprint, TcpRendezvous.Timeout(environment));
            }
            id = NcclUniqueId.From(shared);
            if (device.type == DeviceType.CUDA) nccl.SetDevice(device.index);
            nint comm = 0;
            nccl.Check(nccl.CommInitRank(&comm, world.Size, id, world.Rank), "ncclCommInitRank");
            return new NcclCollectives(nccl, mpi, device, comm, world);
        }
        catch
        {
            mpi?.Dispose();
            throw;
        }
    }

    static int TypeOf(torch.Tensor tensor) => tensor.dtype switch
    {
        torch.ScalarType.Float32 => NcclLibrary.Float32,
        torch.ScalarType.Float64 => NcclLibrary.Float64,
        torch.ScalarType.BFloat16 => NcclLibrary.Bfloat16,
        torch.ScalarType.Float16 => NcclLibrary.Float16,
        torch.ScalarType.Int32 => NcclLibrary.Int32,
        torch.ScalarType.Int64 => NcclLibrary.Int64,
        torch.ScalarType.Byte => NcclLibrary.Uint8,
        _ => throw new ArgumentException($"NCCL all-reduce here takes float, bfloat16, half, int32, int64 or uint8 tensors, not {tensor.dtype}", nameof(tensor)),
    };

    /// <summary>Runs <paramref name="call"/> on the address of the tensor's data, contiguous on the rank's device (<see cref="TensorStaging"/>).</summary>
    void OnDevice(torch.Tensor tensor, Action<nint> call) =>
        TensorStaging.OnDevice(tensor, _device, work => call(NativeTensorMemory.StoragePointer(work)));

    public void AllReduceSum(torch.Tensor tensor)
    {
        int type = TypeOf(tensor);
        OnDevice(tensor, data => _nccl.Check(_nccl.AllReduce(data, data, (nuint)tensor.numel(), type, NcclLibrary.Sum, _comm, 0), "ncclAllReduce"));
    }

    public void Broadcast(torch.Tensor tensor, int root = 0)
    {
        long bytes = tensor.numel() * tensor.element_size();
        OnDevice(tensor, data => _nccl.Check(_nccl.Broadcast(data, data, (nuint)bytes, NcclLibrary.Uint8, root, _comm, 0), "ncclBroadcast"));
    }

    public void Barrier()
    {
        using var one = torch.ones(1, device: _device);
        AllReduceSum(one);
        // The reduction is queued on the stream: its value read back is the point every rank has reached.
        _ = one.cpu().item<float>();
    }

    public void Abort(int exitCode)
    {
        if (_comm != 0) _nccl.CommAbort(_comm);
        _comm = 0;
        if (_mpi is not null) _mpi.Abort(exitCode);
        Environment.Exit(exitCode);
    }

    public void Dispose()
    {
        if (_comm != 0) _nccl.CommDestroy(_comm);
        _comm = 0;
        _mpi?.Dispose();
    }
}
