using TorchSharp;
using Vlm.NativeFix;
using Vlm.Trainers.Runtime;

namespace Vlm.Tests.Trainers.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void Tensors_compute_inside_the_test_host()
    {
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = torch.ones(3, 2);
        using var product = a.matmul(b);
        Assert.Equal(new float[] { 3, 3, 12, 12 }, product.data<float>().ToArray());
    }

    [Fact]
    public void Probe_reports_the_loaded_libtorch()
    {
        var info = TorchRuntime.Probe();
        Assert.Equal("0.107.0", info.TorchSharpVersion);
        Assert.StartsWith("2.10", info.LibTorchVersion);
        Assert.True(info.Threads >= 1);
    }

    [Fact]
    public void The_loaded_library_has_no_unmet_hard_version_need()
    {
        var status = NativeFixStatus.Inspect(AppContext.BaseDirectory);
        Assert.NotNull(status.LibraryPath);
        Assert.Empty(status.UnmetVersions);
        // On a host whose libstdc++ predates GCC 13 (this one), the build must have weakened exactly that need.
        var host = ElfVersionNeeds.FindHostLibStdCxx();
        if (host is not null && !ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(host)).Contains("GLIBCXX_3.4.32"))
            Assert.Equal(new[] { "GLIBCXX_3.4.32" }, status.WeakenedVersions);
    }

    [Fact]
    public void A_native_load_failure_says_which_libstdcxx_versions_are_missing_and_what_to_do()
    {
        // TorchSharp's own message blames a package reference; the cause another app met was the host's libstdc++.
        var failure = new TypeInitializationException("TorchSharp.torch", new NotSupportedException(
            "This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64\nmore"));
        var unmet = new NativeFixStatus("/app/libLibTorchSharp.so", "/lib/x86_64-linux-gnu/libstdc++.so.6", [], ["GLIBCXX_3.4.32"]);
        string message = TorchRuntime.Explain(failure, unmet);
        Assert.StartsWith("TorchSharp's native library did not load: This application or script uses TorchSharp", message);
        Assert.Contains("/app/libLibTorchSharp.so needs GLIBCXX_3.4.32 of libstdc++, which /lib/x86_64-linux-gnu/libstdc++.so.6 lacks", message);
        Assert.Contains("build/TorchSharpNativeFix.targets", message);
        Assert.DoesNotContain("\n", message);
        // Without an unmet version need, only the failure itself.
        Assert.DoesNotContain("libstdc++", TorchRuntime.Explain(failure, new NativeFixStatus("/app/libLibTorchSharp.so", "/lib/libstdc++.so.6", [], [])));
    }
}
