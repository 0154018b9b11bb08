using System.Security.Cryptography;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Training;

/// <summary>
/// <c>vlm train</c> as separate processes, as a user and a cluster run it: one seed gives the same
/// bytes, and a run killed (SIGKILL) or stopped (SIGTERM) and resumed ends with the same weights as
/// one that ran straight through.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class TrainingRunReproducibilityTests : IDisposable
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    readonly TempFolder _root = new();

    public TrainingRunReproducibilityTests() => TinyTrainingRun.Prepare(_root, samples: 12);

    public void Dispose() => _root.Dispose();

    string[] Train(string output, int steps, int saveSteps, params string[] more) => TinyTrainingRun.Train(_root, output, batch: 2, steps, saveSteps, loraDropout: 0.1, more);

    /// <summary>The sha256 of each weight file of the trained model.</summary>
    Dictionary<string, string> Weights(string output)
    {
        var files = Directory.GetFiles(_root.File(Path.Combine(output, "model")), "*.safetensors");
        Assert.NotEmpty(files);
        return files.ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
    }

    void RunToEnd(string[] args)
    {
        var (code, output, error) = VlmProcess.Run(Limit, args);
        Assert.True(code == 0, output + error);
    }

    [Fact]
    public void Two_runs_with_one_seed_write_identical_weights()
    {
        RunToEnd(Train("a", 12, 100));
        RunToEnd(Train("b", 12, 100));
        Assert.Equal(Weights("a"), Weights("b"));
        // The logs too, but for the timings (speeds, time waiting for data).
        string[] Log(string output) => [.. File.ReadAllLines(_root.File($"{output}/checkpoint-12/trainer_state.json"))
            .Where(l => !l.Contains("_per_second", StringComparison.Ordinal) && !l.Contains("\"data_wait\"", StringComparison.Ordinal))];
        Assert.Equal(Log("a"), Log("b"));
    }

    [Fact]
    public void A_run_killed_twice_and_resumed_ends_with_the_weights_of_an_uninterrupted_one()
    {
        const int steps = 300;
        RunToEnd(Train("straight", steps, 20));
        foreach (int killAt in new[] { 60, 180 })
        {
            using var run = new VlmProcess(killAt == 60 ? Train("killed", steps, 20) : Train("killed", steps, 20, "--resume"));
            Assert.True(run.WaitForLine($"step {killAt}  loss", Limit), run.Output + run.Error);
            run.Signal(VlmProcess.SIGKILL);
            Assert.Equal(128 + VlmProcess.SIGKILL, run.Wait(Limit)); // killed, not finished
        }
        Assert.False(Directory.Exists(_root.File("killed/model")));
        RunToEnd(Train("killed", steps, 20, "--resume"));
        Assert.Equal(Weights("straight"), Weights("killed"));
    }

    [Fact]
    public void Sigterm_writes_a_checkpoint_at_the_current_step_and_resume_continues_exactly()
    {
        const int steps = 300;
        RunToEnd(Train("straight", steps, 1000));
        using (var run = new VlmProcess(Train("stopped", steps, 1000)))
        {
            Assert.True(run.WaitForLine("step 40  loss", Limit), run.Output + run.Error);
            run.Signal(VlmProcess.SIGTERM);
            Assert.Equal(75, run.Wait(Limit));
            Assert.Contains("SIGTERM", run.Error);
        }
        var checkpoint = Assert.Single(Directory.GetDirectories(_root.File("stopped"), "checkpoint-*"));
        int step = int.Parse(Path.GetFileName(checkpoint)["checkpoint-".Length..]);
        Assert.InRange(step, 40, steps - 1);
        RunToEnd(Train("stopped", steps, 1000, "--resume"));
        Assert.Equal(Weights("straight"), Weights("stopped"));
    }
}
