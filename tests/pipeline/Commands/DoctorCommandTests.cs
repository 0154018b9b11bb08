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
