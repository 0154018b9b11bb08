using System.Diagnostics;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Packaging;

/// <summary>
/// What the GPU check carries (README, "Checking on a GPU"): <c>tools/gpu/publish.sh</c> publishes vlm
/// self-contained without libtorch, and <c>tools/gpu/smoke.sh</c> runs that program through init-tiny,
/// prepare, LoRA training and batched answers with the libtorch given by LD_LIBRARY_PATH only (here
/// the CPU package's, as a GPU machine gives its PyTorch's).
/// </summary>
[Collection(PackagingCollection.Name)]
public class GpuBundleTests
{
    static async Task<string> Bash(string script, IReadOnlyList<string> arguments, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryFolder.Root, "tools", "gpu", script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        // The test host's MSBuild settings must not leak into the build the script starts.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
            start.Environment.Remove(name);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(10)), $"{script} ran over 10 minutes");
        string log = output + await error;
        Assert.True(process.ExitCode == 0, $"{script} exit {process.ExitCode}:\n{(log.Length > 6000 ? log[^6000..] : log)}");
        return output;
    }

    [Fact]
    public async Task The_published_program_without_libtorch_trains_and_answers_with_the_libtorch_it_is_pointed_at()
    {
        using var work = new TempFolder();
        string published = Path.Combine(work.Path, "vlm");
        await Bash("publish.sh", [published], new Dictionary<string, string>());
        Assert.Empty(Directory.GetFiles(published, "libtorch*.so"));
        Assert.Empty(Directory.GetFiles(published, "libc10*.so"));

        string nuget = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string libtorch = Directory.GetDirectories(Path.Combine(nuget, "libtorch-cpu-linux-x64")).Single();
        string output = await Bash("smoke.sh", [Path.Combine(published, "vlm"), Path.Combine(work.Path, "smoke"), "cpu", "fp32"],
            new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = Path.Combine(libtorch, "runtimes", "linux-x64", "native") });

        Assert.Matches(@"libtorch +2\.\d+", output);
        Assert.Contains("unicode        ICU normalization available", output);
        Assert.Matches(@"step 40  loss \d+\.\d+", output);
        var answers = File.ReadAllLines(Path.Combine(work.Path, "smoke", "answers.jsonl"));
        Assert.Equal(8, answers.Length);
        Assert.All(answers, a => Assert.Matches("\"answer\":\"[^\"]*[A-Za-z][^\"]*\"", a));
        Assert.Contains("smoke (cpu, fp32): ok", output);
    }
}
