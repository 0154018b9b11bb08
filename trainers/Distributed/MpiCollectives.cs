using TorchSharp;
using Vlm.Trainers.Checkpoints;

namespace Vlm.Trainers.Distributed;

/// <summary>
/// Collectives over MPI (<see cref="MpiLibrary"/>) on CPU tensors, in place on their storage (a strided
/// view goes through a contiguous copy written back). MPI's default error handler ends every rank when one call fails, so a failure never
/// leaves the others waiting.
/// </summary>
public sealed unsafe class MpiCollectives : ICollectives
{
    readonly MpiLibrary _mpi;
    bool _finalized;

    MpiCollectives(MpiLibrary mpi, DistributedWorld world)
    {
        _mpi = mpi;
        World = world;
    }

    public DistributedWorld World { get; }

    /// <summary>Initialises MPI and checks that its world is the one the launcher's environment described.</summary>
    public static MpiCollectives Start(DistributedWorld expected)
    {
        var mpi = MpiLibrary.Load(expected.Launcher);
        int initialized = 0;
        Check(mpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0) Check(mpi.Init(null, 0), "MPI_Init");
        int rank = 0, size = 0;
        Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        if (expected.IsDistributed && (rank != expected.Rank || size != expected.Size))
            throw new InvalidOperationException($"{mpi.Name} says rank {rank} of {size}, the launcher's environment {expected}: was this process started by another MPI's mpirun?");
        return new MpiCollectives(mpi, expected with { Rank = rank, Size = size });
    }

    static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error {code}");
    }

    public void AllReduceSum(torch.Tensor tensor) => TensorStaging.OnDevice(tensor, torch.CPU, AllReduceInPlace);

    void AllReduceInPlace(torch.Tensor tensor)
    {
        var type = tensor.dtype switch
        {
            torch.ScalarType.Float32 => _mpi.Float,
            torch.ScalarType.Float64 => _mpi.Double,
            _ => throw new ArgumentException($"MPI all-reduce takes float32 or float64 tensors, not {tensor.dtype}", nameof(tensor)),
        };
        long count = tensor.numel();
        int size = (int)tensor.element_size();
        byte* data = (byte*)NativeTensorMemory.DataPointer(tensor);
        // MPI counts are ints: a tensor over 2^31 - 1 elements goes in pieces.
        for (long done = 0; done < count; done += int.MaxValue)
        {
            int n = (int)Math.Min(int.MaxValue, count - done);
            Check(_mpi.Allreduce(_mpi.InPlace, (nint)(data + done * size), n, type, _mpi.Sum, _mpi.CommWorld), "MPI_Allreduce");
        }
    }

    public void Broadcast(torch.Tensor tensor, int root = 0) => TensorStaging.OnDevice(tensor, torch.CPU, contiguous => BroadcastInPlace(contiguous, root));

    void BroadcastInPlace(torch.Tensor tensor, int root)
    {
        long bytes = tensor.numel() * tensor.element_size();
        byte* data = (byte*)NativeTensorMemory.DataPointer(tensor);
        for (long done = 0; done < bytes; done += int.MaxValue)
        {
            int n = (int)Math.Min(int.MaxValue, bytes - done);
            Check(_mpi.Bcast((nint)(data + done), n, _mpi.Byte, root, _mpi.CommWorld), "MPI_Bcast");
        }
    }

    public void Barrier() => Check(_mpi.Barrier(_mpi.CommWorld), "MPI_Barrier");

    public void Abort(int exitCode)
    {
        _mpi.Abort(_mpi.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this is for an implementation that does
    }

    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        int finalized = 0;
        _mpi.Finalized(&finalized);
        if (finalized == 0) _mpi.Finalize();
    }
}
