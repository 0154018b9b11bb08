using Vlm.Tests.TestSupport;
using Vlm.Trainers.Distributed;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Distributed;

/// <summary>NCCL's library resolution and calls, on the CPU through the stand-in library (tests/tools/fake-nccl).</summary>
public sealed unsafe class NcclLibraryTests : IDisposable
{
    readonly TempFolder _root = new();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv")]
    static extern int SetNativeEnvironment(string name, string value, int overwrite);

    // The stand-in makes its id folders under FAKE_NCCL_DIR, read with getenv: .NET's own environment is not the C library's.
    public NcclLibraryTests() => SetNativeEnvironment("FAKE_NCCL_DIR", _root.Path, 1);

    public void Dispose() => _root.Dispose();

    [Fact]
    public void A_missing_nccl_is_an_error_naming_what_was_tried_and_the_alternative()
    {
        var e = Assert.Throws<DllNotFoundException>(() => NcclLibrary.Load(["libnccl-not-here.so.2"]));
        Assert.Contains("NCCL could not be loaded (tried libnccl-not-here.so.2)", e.Message);
        Assert.Contains("LD_LIBRARY_PATH", e.Message);
        Assert.Contains("--distributed mpi", e.Message);
    }

    [Fact]
    public void The_id_goes_by_value_and_a_wrong_one_is_refused_in_ncclS_own_words()
    {
        var nccl = NcclLibrary.Load([FakeNccl.Build(_root.Path)], needsCuda: false);
        var id = new NcclUniqueId();
        nccl.Check(nccl.GetUniqueId(&id), "ncclGetUniqueId");
        string folder = System.Text.Encoding.ASCII.GetString(id.ToArray()).TrimEnd('\0');
        try
        {
            // The stand-in's id names a folder it made: only an id passed whole, by value, names it.
            nint comm = 0;
            nccl.Check(nccl.CommInitRank(&comm, 1, id, 0), "ncclCommInitRank");
            Assert.NotEqual(0, comm);
            nccl.Check(nccl.CommDestroy(comm), "ncclCommDestroy");

            var wrong = NcclUniqueId.From(new byte[NcclUniqueId.Size]);
            nint refused = 0;
            int result = nccl.CommInitRank(&refused, 1, wrong, 0);
            Assert.Equal(0, refused);
            var e = Assert.Throws<InvalidOperationException>(() => nccl.Check(result, "ncclCommInitRank"));
            Assert.Contains("ncclCommInitRank failed: fake NCCL: invalid argument", e.Message);
            Assert.Contains("NCCL result 4", e.Message);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_world_of_one_reduces_casts_and_broadcasts_in_place()
    {
        var nccl = NcclLibrary.Load([FakeNccl.Build(_root.Path)], needsCuda: false);
        using var ranks = NcclCollectives.Start(DistributedWorld.Single, CPU, "one", nccl, _ => null);
        using var values = tensor(new float[] { 1, 2, 3 });
        ranks.AllReduceSum(values);
        Assert.Equal([1f, 2f, 3f], values.data<float>().ToArray());
        using var bytes = tensor(new byte[] { 7, 8 });
        ranks.Broadcast(bytes);
        Assert.Equal([(byte)7, (byte)8], bytes.data<byte>().ToArray());
        ranks.Barrier();
        var e = Assert.Throws<ArgumentException>(() => ranks.AllReduceSum(tensor(new[] { true })));
        Assert.Contains("not Bool", e.Message);
    }
}
