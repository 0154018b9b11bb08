namespace Vlm.Trainers.Distributed;

/// <summary>Which collective library a run uses: <c>auto</c> picks MPI when a launcher started several processes.</summary>
public enum DistributedBackend { Auto, None, Mpi, Nccl }

/// <summary>
/// This process's place in a data-parallel run, read from the launcher's environment: torchrun
/// (<c>RANK</c>, <c>WORLD_SIZE</c>, <c>LOCAL_RANK</c>, <c>MASTER_ADDR</c>, <c>MASTER_PORT</c>), Open MPI
/// (<c>OMPI_COMM_WORLD_*</c>), MPICH/Hydra (<c>PMI_RANK</c>, <c>PMI_SIZE</c>, <c>MPI_LOCALRANKID</c>) or
/// Slurm (<c>SLURM_PROCID</c>, <c>SLURM_NTASKS</c>, <c>SLURM_LOCALID</c>, <c>SLURM_JOB_NODELIST</c>). None
/// set: a world of one, a plain single-process run.
/// </summary>
public sealed record DistributedWorld(int Rank, int Size, int LocalRank, string Launcher, string? MasterAddress = null, int? MasterPort = null, string? Nodes = null)
{
    public static readonly DistributedWorld Single = new(0, 1, 0, "none");

    public bool IsDistributed => Size > 1;
    public bool IsMain => Rank == 0;

    /// <summary>The world the environment describes (MPI launchers first: under <c>srun --mpi=pmix</c> both MPI's and Slurm's variables are set, and agree).</summary>
    public static DistributedWorld Detect(Func<string, string?> environment)
    {
        int? Int(string name)
        {
            string? value = environment(name);
            if (value is null) return null;
            return int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 0
                ? n : throw new ArgumentException($"the environment variable {name}={value} is not a whole number");
        }
        DistributedWorld? From(string launcher, string rank, string size, string localRank)
        {
            if (Int(rank) is not { } r || Int(size) is not { } s) return null;
            if (s < 1 || r >= s) throw new ArgumentException($"{launcher}: rank {r} is not inside a world of {s} ({rank}, {size})");
            return new DistributedWorld(r, s, Int(localRank) ?? 0, launcher);
        }
        var world = From("openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK")
            ?? From("mpich", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID")
            ?? From("torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK")
            ?? From("slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID")
            ?? Single;
        string? port = environment("MASTER_PORT");
        return world with
        {
            MasterAddress = environment("MASTER_ADDR"),
            MasterPort = port is null ? null : int.TryParse(port, out int p) && p is > 0 and < 65536 ? p : throw new ArgumentException($"the environment variable MASTER_PORT={port} is not a port"),
            Nodes = environment("SLURM_JOB_NODELIST"),
        };
    }

    public static DistributedWorld FromEnvironment() => Detect(Environment.GetEnvironmentVariable);

    public override string ToString() => IsDistributed ? $"rank {Rank} of {Size} (local rank {LocalRank}, {Launcher})" : "one process";
}
