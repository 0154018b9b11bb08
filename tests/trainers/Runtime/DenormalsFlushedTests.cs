using Vlm.Trainers.Runtime;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Runtime;

/// <summary>Flush-to-zero on the training threads: libtorch's own kernels give 0 where they would give a denormal float.</summary>
public class DenormalsFlushedTests
{
    /// <summary>exp(-95) = 5.5e-42, below fp32's smallest normal (1.2e-38): a denormal unless flushed.</summary>
    static float DenormalExp()
    {
        using var x = tensor(new[] { -95f });
        using var e = x.exp();
        return e.item<float>();
    }

    [Fact]
    public void Inside_the_scope_libtorch_flushes_denormal_results_to_zero_and_after_it_does_not()
    {
        Assert.InRange(DenormalExp(), 5e-42f, 6e-42f);
        Assert.False(DenormalsFlushed.OnThisThreadNow);
        using (DenormalsFlushed.OnThisThread())
        {
            Assert.True(DenormalsFlushed.OnThisThreadNow);
            Assert.Equal(0f, DenormalExp());
            using var normal = tensor(new[] { -50f }).exp();
            Assert.Equal(MathF.Exp(-50f), normal.item<float>(), 1e-27f); // normal floats untouched
        }
        Assert.False(DenormalsFlushed.OnThisThreadNow);
        Assert.InRange(DenormalExp(), 5e-42f, 6e-42f);
    }

    [Fact]
    public void Only_the_calling_thread_flushes()
    {
        using var flushed = DenormalsFlushed.OnThisThread();
        float elsewhere = 0;
        var thread = new Thread(() => elsewhere = DenormalExp());
        thread.Start();
        thread.Join();
        Assert.InRange(elsewhere, 5e-42f, 6e-42f);
        Assert.Equal(0f, DenormalExp());
    }

    [Fact]
    public void A_nested_scope_gives_back_the_setting_it_found()
    {
        using (DenormalsFlushed.OnThisThread())
        {
            using (DenormalsFlushed.OnThisThread()) Assert.True(DenormalsFlushed.OnThisThreadNow);
            Assert.True(DenormalsFlushed.OnThisThreadNow);
        }
        Assert.False(DenormalsFlushed.OnThisThreadNow);
    }
}
