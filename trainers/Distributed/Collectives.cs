using System.Runtime.InteropServices;

namespace Vlm.Trainers.Distributed;

/// <summary>The collectives for a backend and world (see <see cref="DistributedBackend"/>).</summary>
public static class Collectives
{
    /// <param name="cuda">whether the model is on a CUDA device (NCCL reduces CUDA tensors, MPI here CPU ones)</param>
    public static ICollectives Create(DistributedBackend backend, DistributedWorld world, bool cuda) => backend switch
    {
        DistributedBackend.None when world.IsDistributed => throw new InvalidOperationException(
            $"--distributed none, but the launcher started this process as {world}: each process would train alone and overwrite the others' output; use --distributed auto or launch one process"),
        DistributedBackend.None => new SingleProcess(),
        DistributedBackend.Auto when !world.IsDistributed => new SingleProcess(),
        DistributedBackend.Auto => cuda ? Nccl(cuda) : Mpi(world),
        DistributedBackend.Mpi => Mpi(world),
        DistributedBackend.Nccl => Nccl(cuda),
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, null),
    };

    /// <summary>MPI joins only processes an MPI launcher started: torchrun's and a plain srun's are refused with what to run instead.</summary>
    static ICollectives Mpi(DistributedWorld world) => world.Launcher switch
    {
        "torchrun" => throw new NotSupportedException($"torchrun started this process ({world}) without MPI, and gradients on the CPU are reduced over MPI: launch with mpirun -np N instead (torchrun needs --distributed nccl, which is not built yet)"),
        "slurm" => throw new NotSupportedException($"srun started this process ({world}) without MPI: add --mpi=pmix (or pmi2) to srun so that the ranks share an MPI world"),
        _ => MpiCollectives.Start(world),
    };

    static ICollectives Nccl(bool cuda)
    {
        if (!cuda)
            throw new NotSupportedException("--distributed nccl reduces CUDA tensors, and this run is on the CPU (TorchSharp's CPU build, or no GPU): use --distributed mpi and launch with mpirun");
        if (!NativeLibrary.TryLoad("libnccl.so.2", out _))
            throw new DllNotFoundException("libnccl.so.2 could not be loaded: install NVIDIA's NCCL (PyTorch's pip wheels bring it as nvidia-nccl-cu13; add its lib folder to LD_LIBRARY_PATH), or use --distributed mpi");
        throw new NotSupportedException("NCCL gradient reduction is not built yet in this version; use --distributed mpi (Open MPI or MPICH) for now");
    }
}
