using Parameter = TorchSharp.Modules.Parameter;
using Vlm.Trainers.Training;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Training;

/// <summary>
/// AdamW against PyTorch's <c>torch.optim.AdamW</c>: values printed by PyTorch 1.13 for the same
/// parameters, groups and gradients. fp32 CPU parameters take the fused kernel; fp64 ones the
/// tensor-op form that CUDA and bfloat16 parameters take.
/// </summary>
public class AdamWTests
{
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Three_steps_match_pytorchs_adamw_with_decay_and_two_groups(ScalarType dtype)
    {
        // torch.optim.AdamW([{params: [p], weight_decay: 0.1}, {params: [q], weight_decay: 0, lr: 5e-2}], lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
        var p = new Parameter(tensor(new[] { 0.5f, -1.0f, 2.0f, 0.0f }).to(dtype));
        var q = new Parameter(tensor(new[] { 1.5f, -0.25f }).to(dtype));
        using var optimizer = new AdamW([new ParamGroup([p], 1e-2, 0.1), new ParamGroup([q], 5e-2, 0)]);
        float[][] gradsP = [[0.1f, -0.2f, 0.3f, 0.0f], [0.05f, 0.4f, -0.1f, 1e-3f], [-0.3f, 0.1f, 0.2f, -2.0f]];
        float[][] gradsQ = [[1.0f, -1.0f], [0.5f, 0.0f], [-0.2f, 3.0f]];
        for (int step = 0; step < 3; step++)
        {
            p.grad = tensor(gradsP[step]).to(dtype);
            q.grad = tensor(gradsQ[step]).to(dtype);
            optimizer.StepOnce();
        }
        float[] expectedP = [0.482681274f, -0.994836986f, 1.973996997f, -0.001048562f], expectedQ = [1.373555541f, -0.188619450f];
        Assert.True(p.to(float32).allclose(tensor(expectedP), rtol: 0, atol: 1e-6), string.Join(", ", p.to(float32).data<float>().ToArray()));
        Assert.True(q.to(float32).allclose(tensor(expectedQ), rtol: 0, atol: 1e-6), string.Join(", ", q.to(float32).data<float>().ToArray()));
        Assert.Equal(3, optimizer.Step);
    }

    [Fact]
    public void The_fused_kernel_agrees_with_the_tensor_op_form_across_simd_lanes_chunks_and_tail()
    {
        manual_seed(4);
        long n = 2 * 65536 + 13; // two full chunks, SIMD-wide runs and a scalar tail
        var fused = new Parameter(randn(n));
        var plain = new Parameter(fused.detach().to(float64));
        using var a = new AdamW([new ParamGroup([fused], 1e-2, 0.1)]);
        using var b = new AdamW([new ParamGroup([plain], 1e-2, 0.1)]);
        for (int step = 0; step < 5; step++)
        {
            var grad = randn(n);
            fused.grad = grad;
            plain.grad = grad.to(float64);
            a.StepOnce();
            b.StepOnce();
        }
        double difference = (fused.to(float64) - plain).abs().max().item<double>();
        Assert.True(difference < 1e-6, $"max difference {difference}");
    }
}
