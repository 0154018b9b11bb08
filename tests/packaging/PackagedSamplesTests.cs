using System.Diagnostics;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Packaging;

/// <summary>Packing builds the product again and the samples run training: alone, so the other tests keep their cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackagingCollection
{
    public const string Name = "packaging";
}

/// <summary>
/// The packages as another team uses them: <c>samples/check-packages.sh</c> (README, "Use it in your
/// app") packs the libraries and the tool, then restores the samples, copied out of the repository,
/// from the local feed into their own NuGet cache folder, and runs them; and installs the tool.
/// </summary>
[Collection(PackagingCollection.Name)]
public class PackagedSamplesTests
{
    [Fact]
    public async Task The_packed_libraries_and_tool_work_in_apps_outside_the_repository()
    {
        using var work = new TempFolder();
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryFolder.Root, "samples", "check-packages.sh"));
        start.ArgumentList.Add(work.Path);
        // Third-party packages from the machine's cache (no second 1 GB download); the vlm packages get
        // a fresh version, so they can only come from the feed.
        start.Environment["VLM_RESTORE_FALLBACK"] = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        // The test host's MSBuild settings must not leak into the builds the script starts.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
            start.Environment.Remove(name);
        using var script = Process.Start(start)!;
        var error = script.StandardError.ReadToEndAsync();
        string output = await script.StandardOutput.ReadToEndAsync();
        Assert.True(script.WaitForExit(TimeSpan.FromMinutes(15)), "check-packages.sh ran over 15 minutes");
        string log = output + await error;
        Assert.True(script.ExitCode == 0, $"check-packages.sh exit {script.ExitCode}:\n{(log.Length > 6000 ? log[^6000..] : log)}");

        // The console sample: shards, training with a validation loss, an engine's answer, batched answers equal to it.
        Assert.Matches(@"shards: 32 training rows, 0 rejected", output);
        Assert.Matches(@"validation loss: \d+\.\d+", output);
        Assert.Matches(@"\nanswer: \S.*", output);
        Assert.Contains("batched answers: 8, the first equal to the engine's: True", output);
        // The web sample answered over HTTP with the console sample's model.
        Assert.Matches("web answer: \\{\"answer\":\"[^\"]+\"\\}", output);
        // The tool installed from the feed and runs, TorchSharp loading.
        Assert.Contains("vlm: a vision-language model data and training pipeline for ML.NET", output);
        Assert.Matches(@"TorchSharp +0\.107\.0", output);
        // Restores of the samples took only the vlm packages into their own cache: nothing else of ours came from elsewhere.
        var cached = Directory.GetDirectories(Path.Combine(work.Path, "nuget-cache")).Select(Path.GetFileName).Where(n => n!.StartsWith("vlm", StringComparison.Ordinal)).Order();
        Assert.Equal(["vlm.datasets", "vlm.trainers", "vlm.transforms"], cached);
    }
}
