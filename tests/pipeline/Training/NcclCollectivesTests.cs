using System.Diagnostics;
using System.Text.Json;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Training;

/// <summary>
/// The NCCL collectives in real processes on the CPU, through a stand-in libnccl (tests/tools/fake-nccl: the
/// real one needs a GPU): rank 0's id reaching the other rank over TCP in torchrun's environment and over MPI
/// under mpirun, sums, broadcasts and barriers through nccl.h's calls, and a rendezvous that refuses a rank of
/// another run or ends with a clear error when no rank 0 comes; and <c>vlm train --distributed nccl</c> with two
/// such ranks training the weights of one rank of twice the batch.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public sealed class NcclCollectivesTests : IDisposable
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    readonly TempFolder _root = new();
    readonly string _library;

    public NcclCollectivesTests() => _library = FakeNccl.Build(_root.Path);

    public void Dispose() => _root.Dispose();

    static string[] Child(int elements = 1000) =>
        ["bench", "--child", "allreduce", "--distributed", "nccl", "--elements", $"{elements}", "--repeats", "3"];

    /// <summary>What torchrun gives rank <paramref name="rank"/> of two; the rendezvous listens on MASTER_PORT + 1 (torchrun's agent holds MASTER_PORT).</summary>
    Dictionary<string, string> Torchrun(int rank, int rendezvousPort, params (string Name, string Value)[] more)
    {
        var environment = new Dictionary<string, string>
        {
            ["RANK"] = $"{rank}", ["WORLD_SIZE"] = "2", ["LOCAL_RANK"] = $"{rank}", ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = $"{rendezvousPort - 1}",
            ["OMP_NUM_THREADS"] = "1", ["FAKE_NCCL_DIR"] = _root.Path, ["VLM_NCCL_LIBRARY"] = _library,
        };
        foreach (var (name, value) in more) environment[name] = value;
        return environment;
    }

    static void AssertCollectivesWorked(IReadOnlyList<JsonElement> ranks)
    {
        Assert.Equal([0, 1], ranks.Select(r => r.GetProperty("rank").GetInt32()).Order());
        Assert.All(ranks, r => Assert.True(r.GetProperty("backend").GetString() == "nccl" && r.GetProperty("sums").GetBoolean() && r.GetProperty("broadcast").GetBoolean(), r.ToString()));
    }

    [Fact]
    public void Two_torchrun_ranks_meet_over_tcp_and_sum_broadcast_and_wait_through_nccl_calls()
    {
        int port = FreePort.Next();
        using var one = VlmProcess.With(Torchrun(1, port), Child());
        using var zero = VlmProcess.With(Torchrun(0, port), Child());
        int zeroCode = zero.Wait(Limit), oneCode = one.Wait(Limit);
        Assert.True(zeroCode == 0 && oneCode == 0, zero.Output + zero.Error + one.Output + one.Error);
        AssertCollectivesWorked([.. VlmProcess.JsonObjects(zero.Output), .. VlmProcess.JsonObjects(one.Output)]);
    }

    [Fact]
    public void Under_mpirun_the_nccl_id_goes_over_mpi()
    {
        Assert.True(File.Exists("/usr/bin/mpirun"), "mpirun is missing: tests/tools/install-openmpi.sh installs Debian's openmpi-bin");
        using var run = VlmProcess.MpirunWith(new Dictionary<string, string> { ["FAKE_NCCL_DIR"] = _root.Path, ["VLM_NCCL_LIBRARY"] = _library }, 2, Child());
        int code = run.Wait(Limit);
        Assert.True(code == 0, run.Output + run.Error);
        AssertCollectivesWorked(VlmProcess.JsonObjects(run.Output));
    }

    [Fact]
    public void A_rank_started_with_another_command_is_refused_and_both_ranks_end()
    {
        int port = FreePort.Next();
        using var one = VlmProcess.With(Torchrun(1, port), Child(elements: 999));
        using var zero = VlmProcess.With(Torchrun(0, port), Child());
        Assert.NotEqual(0, zero.Wait(Limit));
        Assert.NotEqual(0, one.Wait(Limit));
        Assert.Contains("rank 1 was started with another command or world size than rank 0", zero.Error);
        Assert.Contains($"refused by rank 0's rendezvous at 127.0.0.1:{port}", one.Error);
    }

    [Fact]
    public void A_rank_without_rank_zero_ends_at_the_timeout_saying_where_it_looked()
    {
        int port = FreePort.Next();
        var clock = Stopwatch.StartNew();
        using var one = VlmProcess.With(Torchrun(1, port, ("VLM_RENDEZVOUS_TIMEOUT", "2")), Child());
        Assert.NotEqual(0, one.Wait(Limit));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.Contains($"rank 1: no rendezvous at 127.0.0.1:{port} within 2 s", one.Error);
    }

    [Fact]
    public void Two_nccl_ranks_of_batch_two_train_the_weights_of_one_rank_of_batch_four()
    {
        TinyTrainingRun.Prepare(_root, samples: 16);
        string[] Train(string output, int batch) => TinyTrainingRun.Train(_root, output, batch, steps: 6, saveSteps: 3, loraDropout: 0, "--distributed", "nccl");
        var one = VlmProcess.Run(Limit, TinyTrainingRun.Train(_root, "one", batch: 4, steps: 6, saveSteps: 3, loraDropout: 0));
        Assert.True(one.Code == 0, one.Out + one.Err);

        int port = FreePort.Next();
        using var rankOne = VlmProcess.With(Torchrun(1, port), Train("two", batch: 2));
        using var rankZero = VlmProcess.With(Torchrun(0, port), Train("two", batch: 2));
        int zeroCode = rankZero.Wait(Limit), oneCode = rankOne.Wait(Limit);
        // The ranks also check at the end that their weights are bitwise equal.
        Assert.True(zeroCode == 0 && oneCode == 0, rankZero.Output + rankZero.Error + rankOne.Output + rankOne.Error);
        foreach (var file in Directory.GetFiles(_root.File("one/model"), "*.safetensors"))
        {
            using var a = Vlm.Trainers.Checkpoints.SafetensorsFile.Open(file);
            using var b = Vlm.Trainers.Checkpoints.SafetensorsFile.Open(Path.Combine(_root.File("two/model"), Path.GetFileName(file)));
            Assert.Equal(a.Names.Order(), b.Names.Order());
            foreach (var name in a.Names)
            {
                using var x = a.Read(name);
                using var y = b.Read(name);
                Assert.True(x.allclose(y, rtol: 0, atol: 1e-5), $"{Path.GetFileName(file)}:{name} differs by {(x - y).abs().max().item<float>()}");
            }
        }
        // One writer: rank 0's progress lines only.
        Assert.Contains("step 6  loss", rankZero.Output);
        Assert.DoesNotContain("step 6  loss", rankOne.Output);
    }
}
