using System.Diagnostics;
using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Runtime;

namespace Vlm.Tests.Pipeline.Commands;

public class DoctorCommandTests
{
    static (int Code, string Out, string Err) Run(ICommand doctor, params string[] args) => CommandHarness.Run(doctor, args);

    [Fact]
    public void Reports_versions_threads_the_fix_and_the_tokenizer_and_exits_zero()
    {
        var (code, output, err) = Run(new DoctorCommand());
        Assert.True(code == 0, output + err);
        Assert.Contains("TorchSharp     0.107.0", output);
        Assert.Contains("libtorch       2.10", output);
        Assert.Contains("CUDA ", output);
        Assert.Contains("threads ", output);
        Assert.Contains("native fix ", output);
        Assert.Contains("qwen2, vocabulary 151669", output);
    }

    /// <summary><c>vlm doctor</c> as a process of its own, with <see cref="CpuKernels.Variable"/> as given (null: unset).</summary>
    static string DoctorProcess(string? capability)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vlm.dll"));
        start.ArgumentList.Add("doctor");
        start.Environment.Remove(CpuKernels.Variable); // this test process has it set (TestHostSetup)
        if (capability is not null) start.Environment[CpuKernels.Variable] = capability;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "vlm doctor did not end");
        Assert.True(process.ExitCode == 0, output + error.Result);
        return output.Split('\n').Single(line => line.StartsWith("cpu kernels "));
    }

    [Fact]
    public void Vlm_runs_libtorchs_avx2_kernels_unless_told_otherwise()
    {
        // libtorch itself picks AVX512 on a CPU that has it (this machine class): only vlm's setting makes this AVX2.
        Assert.Equal("cpu kernels    AVX2 (libtorch's choice; ATEN_CPU_CAPABILITY=avx2)", DoctorProcess(null));
    }

    [Fact]
    public void A_capability_the_user_set_is_kept()
    {
        Assert.Equal("cpu kernels    DEFAULT (libtorch's choice; ATEN_CPU_CAPABILITY=default)", DoctorProcess("default"));
    }

    [Fact]
    public void A_torchsharp_that_cannot_load_is_a_one_line_reason_and_exit_one()
    {
        var doctor = new DoctorCommand(() => throw new TorchLoadException("TorchSharp's native library did not load: libLibTorchSharp.so: cannot open"));
        var (code, _, err) = Run(doctor);
        Assert.Equal(1, code);
        Assert.Equal("vlm doctor: TorchSharp's native library did not load: libLibTorchSharp.so: cannot open", err.Trim());
    }

    [Fact]
    public void A_model_folder_that_cannot_be_read_is_named_and_fails_the_check()
    {
        using var folder = new TempFolder();
        var (code, output, _) = Run(new DoctorCommand(), "--llm", folder.Path);
        Assert.Equal(1, code);
        Assert.Contains($"llm            {folder.Path}: ERROR", output);
    }
}
