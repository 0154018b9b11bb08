using TorchSharp;

namespace Vlm.Trainers.Distributed;

/// <summary>The collectives for a backend and world (see <see cref="DistributedBackend"/>).</summary>
public static class Collectives
{
    /// <param name="device">where the model is: NCCL reduces CUDA tensors (the local rank's GPU), MPI here CPU ones</param>
    /// <param name="fingerprint">the run's configuration, which ranks meeting over TCP (NCCL under torchrun) must share</param>
    public static ICollectives Create(DistributedBackend backend, DistributedWorld world, torch.Device device, string fingerprint = "") => backend switch
    {
        DistributedBackend.None when world.IsDistributed => throw new InvalidOperationException(
            $"--distributed none, but the launcher started this process as {world}: each process would train alone and overwrite the others' output; use --distributed auto or launch one process"),
        DistributedBackend.None => new SingleProcess(),
        DistributedBackend.Auto when !world.IsDistributed => new SingleProcess(),
        DistributedBackend.Auto => device.type == DeviceType.CUDA ? Nccl(world, device, fingerprint) : Mpi(world),
        DistributedBackend.Mpi => Mpi(world),
        DistributedBackend.Nccl => Nccl(world, device, fingerprint),
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, null),
    };

    /// <summary>MPI joins only processes an MPI launcher started: torchrun's and a plain srun's are refused with what to run instead.</summary>
    static ICollectives Mpi(DistributedWorld world) => world.Launcher switch
    {
        "torchrun" => throw new NotSupportedException($"torchrun started this process ({world}) without MPI, and gradients on the CPU are reduced over MPI: launch with mpirun -np N instead (under torchrun, CUDA runs reduce over NCCL: --distributed nccl)"),
        "slurm" => throw new NotSupportedException($"srun started this process ({world}) without MPI: add --mpi=pmix (or pmi2) to srun so that the ranks share an MPI world"),
        _ => MpiCollectives.Start(world),
    };

    /// <summary>
    /// NCCL on the local rank's GPU. <c>VLM_NCCL_LIBRARY</c> names another library file to load; on the CPU
    /// only such a library is taken (a host-memory stand-in, as the tests use, to run this path without a GPU).
    /// </summary>
    static ICollectives Nccl(DistributedWorld world, torch.Device device, string fingerprint)
    {
        string? library = Environment.GetEnvironmentVariable(NcclLibrary.OverrideVariable);
        bool cuda = device.type == DeviceType.CUDA;
        if (!cuda && library is null)
            throw new NotSupportedException("--distributed nccl reduces CUDA tensors, and this run is on the CPU (TorchSharp's CPU build, or no GPU): use --distributed mpi and launch with mpirun");
        return NcclCollectives.Start(world, device, fingerprint, NcclLibrary.Load(library is null ? null : [library], needsCuda: cuda), Environment.GetEnvironmentVariable);
    }
}
