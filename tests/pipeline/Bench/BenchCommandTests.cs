using SkiaSharp;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Bench;

/// <summary>vlm bench at tiny sizes: every measurement runs (children and peers included) and the table and chart are written. No timing is asserted.</summary>
[Collection(TorchRandomCollection.Name)]
public class BenchCommandTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void A_quick_run_measures_every_selected_area_and_writes_the_table_and_chart()
    {
        var (code, output, error) = CommandHarness.Run(new BenchCommand(), "--quick", "--only", "images,etl,training,generation,distributed", "--out", _root.Path);
        Assert.True(code == 0, output + error);

        string table = File.ReadAllText(_root.File("README.md"));
        Assert.Contains("vlm bench --quick --only images,etl,training,generation,distributed", table);
        foreach (var measure in new[] { "decode+resize+normalise CLIP-224", "decode+resize+normalise SigLIP-384", "peak RSS at 500 / at 2k", "model FLOP/s vs bare fp32 GEMM",
                     "gradient checkpointing: peak RSS on / off", "tokens/s vs PyTorch", "libtorch's AVX2 kernels vs its AVX-512 ones", "with the KV cache vs without", "training samples/s, 2 MPI ranks vs 1 process" })
            Assert.Contains(measure, table);
        using var chart = SKBitmap.Decode(_root.File("ratios.png"));
        Assert.True(chart.Width > 500 && chart.Height > 100);

        var unknown = CommandHarness.Run(new BenchCommand(), "--only", "gpu", "--out", _root.Path);
        Assert.Equal(2, unknown.Code);
        Assert.Contains("unknown area 'gpu'", unknown.Err);
    }
}
