using System.Diagnostics;
using System.Security.Cryptography;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;

namespace Vlm.Tests.Pipeline.Training;

/// <summary>
/// <c>vlm train</c> under <c>mpirun -np 2</c> on the CPU (Open MPI; the test build installs it where it
/// is missing): the collectives, two ranks of batch B against one of 2B, one writer, a killed rank
/// ending the job, and a two-rank resume.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class DistributedTrainingTests : IDisposable
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    readonly TempFolder _root = new();

    public DistributedTrainingTests()
    {
        Assert.True(File.Exists("/usr/bin/mpirun"), "mpirun is missing: tests/tools/install-openmpi.sh installs Debian's openmpi-bin");
        TinyTrainingRun.Prepare(_root, samples: 16);
    }

    public void Dispose() => _root.Dispose();

    string[] Train(string output, int batch, int steps, int saveSteps, params string[] more) => TinyTrainingRun.Train(_root, output, batch, steps, saveSteps, loraDropout: 0, more);

    Dictionary<string, float[]> Weights(string output)
    {
        var weights = new Dictionary<string, float[]>();
        foreach (var file in Directory.GetFiles(_root.File(Path.Combine(output, "model")), "*.safetensors"))
        {
            using var st = SafetensorsFile.Open(file);
            foreach (var name in st.Names)
                using (var t = st.Read(name)) weights[$"{Path.GetFileName(file)}:{name}"] = t.data<float>().ToArray();
        }
        return weights;
    }

    string Hashes(string output) => string.Join(",", Directory.GetFiles(_root.File(Path.Combine(output, "model")), "*.safetensors").Order()
        .Select(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));

    [Fact]
    public void Collectives_under_mpirun_sum_broadcast_and_wait_for_every_rank()
    {
        var (code, output, error) = VlmProcess.RunMpi(2, Limit, "bench", "--child", "allreduce", "--elements", "100000");
        Assert.True(code == 0, output + error);
        var ranks = VlmProcess.JsonObjects(output);
        Assert.Equal([0, 1], ranks.Select(r => r.GetProperty("rank").GetInt32()).Order());
        Assert.All(ranks, r => Assert.True(r.GetProperty("sums").GetBoolean() && r.GetProperty("broadcast").GetBoolean(), r.ToString()));
    }

    [Fact]
    public void Two_ranks_of_batch_two_train_the_weights_of_one_rank_of_batch_four_and_only_rank_zero_writes()
    {
        var one = VlmProcess.Run(Limit, Train("one", batch: 4, steps: 8, saveSteps: 4));
        Assert.True(one.Code == 0, one.Out + one.Err);
        var two = VlmProcess.RunMpi(2, Limit, Train("two", batch: 2, steps: 8, saveSteps: 4));
        Assert.True(two.Code == 0, two.Out + two.Err); // the ranks also check at the end that their weights are bitwise equal
        var a = Weights("one");
        var b = Weights("two");
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, values) in a)
            Assert.True(values.Zip(b[name]).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5f, name);
        // One writer: one TensorBoard file, one progress line per step, checkpoints 4 and 8 once.
        Assert.Single(Directory.GetFiles(_root.File("two/runs")));
        Assert.Single(two.Out.Split('\n'), l => l.Contains("step 8  loss", StringComparison.Ordinal));
        Assert.Equal(["checkpoint-4", "checkpoint-8"], Directory.GetDirectories(_root.File("two"), "checkpoint-*").Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_killed_rank_ends_every_rank_and_a_two_rank_resume_equals_an_uninterrupted_run()
    {
        const int steps = 200;
        var straight = VlmProcess.RunMpi(2, Limit, Train("straight", 2, steps, 20));
        Assert.True(straight.Code == 0, straight.Out + straight.Err);

        using (var run = VlmProcess.Mpirun(2, Train("killed", 2, steps, 20)))
        {
            Assert.True(run.WaitForLine("step 50  loss", Limit), run.Output + run.Error);
            var ranks = Children(run.Id).Where(pid => File.ReadAllText($"/proc/{pid}/cmdline").Contains("vlm.dll", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, ranks.Count);
            Process.GetProcessById(ranks[1]).Kill();
            var clock = Stopwatch.StartNew();
            Assert.NotEqual(0, run.Wait(TimeSpan.FromSeconds(60)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
        }
        Assert.NotEmpty(Directory.GetDirectories(_root.File("killed"), "checkpoint-*"));

        var oneProcess = VlmProcess.Run(Limit, Train("killed", 2, steps, 20, "--resume"));
        Assert.NotEqual(0, oneProcess.Code);
        Assert.Contains("written by a run of 2 process(es) and this one has 1", oneProcess.Err);

        var resumed = VlmProcess.RunMpi(2, Limit, Train("killed", 2, steps, 20, "--resume"));
        Assert.True(resumed.Code == 0, resumed.Out + resumed.Err);
        Assert.Equal(Hashes("straight"), Hashes("killed"));

        // SIGTERM to mpirun (as Slurm sends it): it reaches every rank, they stop at one step, rank 0 writes that checkpoint.
        using (var run = VlmProcess.Mpirun(2, Train("stopped", 2, steps, 1000)))
        {
            Assert.True(run.WaitForLine("step 50  loss", Limit), run.Output + run.Error);
            run.Signal(VlmProcess.SIGTERM);
            Assert.NotEqual(0, run.Wait(TimeSpan.FromSeconds(60)));
        }
        var checkpoint = Assert.Single(Directory.GetDirectories(_root.File("stopped"), "checkpoint-*"));
        Assert.Contains("\"world_size\": 2", File.ReadAllText(Path.Combine(checkpoint, "trainer_state.json")));
        var continued = VlmProcess.RunMpi(2, Limit, Train("stopped", 2, steps, 1000, "--resume"));
        Assert.True(continued.Code == 0, continued.Out + continued.Err);
        Assert.Equal(Hashes("straight"), Hashes("stopped"));
    }

    [Fact]
    public void Ranks_started_with_different_options_are_refused_at_the_start_and_all_exit()
    {
        using var run = VlmProcess.MpirunEach(Train("mixed", 2, 4, 100, "--weight_decay", "0.1"), Train("mixed", 2, 4, 100, "--weight_decay", "0.2"));
        Assert.NotEqual(0, run.Wait(TimeSpan.FromSeconds(90)));
        Assert.Contains("rank 1 started with another configuration than rank 0", run.Error);
        Assert.False(Directory.Exists(_root.File("mixed")) && Directory.GetDirectories(_root.File("mixed"), "checkpoint-*").Length > 0); // refused before any step
    }

    /// <summary>The processes whose parent is <paramref name="parent"/>, and theirs (mpirun's daemon may sit between).</summary>
    static IEnumerable<int> Children(int parent)
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1]) != parent) continue;
            yield return pid;
            foreach (var grandchild in Children(pid)) yield return grandchild;
        }
    }
}
