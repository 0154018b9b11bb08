using TorchSharp;
using Vlm.Trainers.Distributed;

namespace Vlm.Tests.Trainers.Distributed;

/// <summary>Every launcher's environment, read into one world; none set is a world of one.</summary>
public class DistributedWorldTests
{
    static DistributedWorld Detect(params (string Name, string Value)[] variables) =>
        DistributedWorld.Detect(name => variables.FirstOrDefault(v => v.Name == name).Value);

    [Fact]
    public void Each_launcher_is_read_from_its_own_variables()
    {
        Assert.Equal(new DistributedWorld(1, 4, 1, "openmpi"), Detect(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_LOCAL_RANK", "1")));
        Assert.Equal(new DistributedWorld(2, 3, 0, "mpich"), Detect(("PMI_RANK", "2"), ("PMI_SIZE", "3"), ("MPI_LOCALRANKID", "0")));
        Assert.Equal(new DistributedWorld(3, 8, 3, "torchrun", "10.0.0.1", 29500),
            Detect(("RANK", "3"), ("WORLD_SIZE", "8"), ("LOCAL_RANK", "3"), ("MASTER_ADDR", "10.0.0.1"), ("MASTER_PORT", "29500")));
        Assert.Equal(new DistributedWorld(5, 16, 1, "slurm", Nodes: "gpu[01-04]"),
            Detect(("SLURM_PROCID", "5"), ("SLURM_NTASKS", "16"), ("SLURM_LOCALID", "1"), ("SLURM_JOB_NODELIST", "gpu[01-04]")));
        // srun --mpi=pmix sets both MPI's and Slurm's: MPI's are read, and they agree.
        Assert.Equal("openmpi", Detect(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "2"), ("SLURM_PROCID", "0"), ("SLURM_NTASKS", "2")).Launcher);
    }

    [Fact]
    public void No_launcher_is_a_world_of_one()
    {
        var world = Detect();
        Assert.False(world.IsDistributed);
        Assert.True(world.IsMain);
        Assert.Equal("one process", world.ToString());
    }

    [Theory]
    [InlineData("RANK", "two", "WORLD_SIZE", "2", "RANK=two is not a whole number")]
    [InlineData("RANK", "2", "WORLD_SIZE", "2", "rank 2 is not inside a world of 2")]
    [InlineData("OMPI_COMM_WORLD_RANK", "-1", "OMPI_COMM_WORLD_SIZE", "2", "OMPI_COMM_WORLD_RANK=-1 is not a whole number")]
    public void A_broken_environment_is_refused_by_name(string rank, string rankValue, string size, string sizeValue, string reason) =>
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => Detect((rank, rankValue), (size, sizeValue))).Message);

    [Fact]
    public void Backends_that_cannot_run_here_say_why_and_what_to_use()
    {
        var two = new DistributedWorld(0, 2, 0, "torchrun");
        Assert.Contains("each process would train alone", Assert.Throws<InvalidOperationException>(() => Collectives.Create(DistributedBackend.None, two, torch.CPU)).Message);
        Assert.Contains("use --distributed mpi", Assert.Throws<NotSupportedException>(() => Collectives.Create(DistributedBackend.Nccl, DistributedWorld.Single, torch.CPU)).Message);
        Assert.Contains("launch with mpirun -np N instead", Assert.Throws<NotSupportedException>(() => Collectives.Create(DistributedBackend.Auto, two, torch.CPU)).Message);
        Assert.Contains("add --mpi=pmix", Assert.Throws<NotSupportedException>(() => Collectives.Create(DistributedBackend.Mpi, two with { Launcher = "slurm" }, torch.CPU)).Message);
        using var single = Collectives.Create(DistributedBackend.Auto, DistributedWorld.Single, torch.CPU);
        Assert.IsType<SingleProcess>(single);
    }
}
