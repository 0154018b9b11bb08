using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Training;

namespace Vlm.Tests.Pipeline.Cli;

/// <summary><c>--device</c> and <c>--precision</c>: what each value puts on the MLContext or tensors, and a clear usage error for the rest.</summary>
public class DeviceArgumentsTests
{
    static CommandLine Args(params string[] args) => CommandLine.Parse(args, [DeviceArguments.Device, DeviceArguments.Precision]);

    [Theory]
    [InlineData(null, 0, true)] // auto: the local rank's GPU (rank 0 here) when CUDA is there, else the CPU
    [InlineData("cpu", null, true)]
    [InlineData("cuda", 0, false)]
    [InlineData("cuda:3", 3, false)]
    public void A_device_sets_the_contexts_gpu_and_whether_the_cpu_may_stand_in(string? device, int? gpu, bool fallback)
    {
        var ml = DeviceArguments.Context(device is null ? Args() : Args("--device", device));
        Assert.Equal(gpu, ml.GpuDeviceId);
        Assert.Equal(fallback, ml.FallbackToCpu);
    }

    [Theory]
    [InlineData("--device", "gpu", "--device must be auto, cpu, cuda or cuda:N, not 'gpu'")]
    [InlineData("--device", "cuda:-1", "--device must be auto, cpu, cuda or cuda:N, not 'cuda:-1'")]
    [InlineData("--precision", "fp16", "--precision must be auto, fp32, bf16, not 'fp16'")]
    public void A_bad_value_is_a_usage_error_naming_the_option(string option, string value, string message)
    {
        var args = Args(option, value);
        var error = Assert.Throws<UsageException>(() => { DeviceArguments.Context(args); DeviceArguments.PrecisionOf(args); });
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Precision_falls_back_only_when_not_given()
    {
        Assert.Equal(TensorPrecision.Float32, DeviceArguments.PrecisionOf(Args(), TensorPrecision.Float32));
        Assert.Equal(TensorPrecision.BFloat16, DeviceArguments.PrecisionOf(Args("--precision", "bf16"), TensorPrecision.Float32));
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, DeviceArguments.TypeOf(Args(), TorchSharp.torch.CPU, TensorPrecision.Auto));
    }

    [Fact]
    public void Reference_check_on_cuda_without_cuda_is_a_usage_error_before_any_fixture_runs()
    {
        if (TorchSharp.torch.cuda.is_available()) return; // a GPU machine runs it for real (tools/gpu/check.sh)
        var (code, _, error) = CommandHarness.Run(new ReferenceCheckCommand(), Path.Combine(AppContext.BaseDirectory, "data", "hf-reference"), "--device", "cuda");
        Assert.Equal(2, code);
        Assert.Contains("--device cuda: CUDA is not available", error);
    }
}
