using System.Runtime.InteropServices;

namespace Vlm.Trainers.Distributed;

/// <summary>NCCL's 128-byte unique id, passed by value to <c>ncclCommInitRank</c> as nccl.h declares it.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct NcclUniqueId
{
    public const int Size = 128;
    public fixed byte Internal[Size];

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        fixed (byte* from = Internal) new ReadOnlySpan<byte>(from, Size).CopyTo(bytes);
        return bytes;
    }

    public static NcclUniqueId From(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"an NCCL id is {Size} bytes, not {bytes.Length}", nameof(bytes));
        var id = new NcclUniqueId();
        bytes.CopyTo(new Span<byte>(id.Internal, Size));
        return id;
    }
}

/// <summary>
/// NVIDIA's NCCL (<c>libnccl.so.2</c>), loaded by hand like <see cref="MpiLibrary"/>: the calls data-parallel
/// training makes, with nccl.h's types (enums are ints, <c>ncclComm_t</c> and <c>cudaStream_t</c> pointers,
/// the id a 128-byte struct by value). <c>cudaSetDevice</c> comes from the CUDA runtime libtorch loaded, as
/// NCCL builds a communicator on the calling thread's current device.
/// </summary>
internal sealed unsafe class NcclLibrary
{
    /// <summary>nccl.h's <c>ncclDataType_t</c> and <c>ncclRedOp_t</c> values.</summary>
    public const int Uint8 = 1, Int32 = 2, Int64 = 4, Float16 = 6, Float32 = 7, Float64 = 8, Bfloat16 = 9, Sum = 0;

    public readonly delegate* unmanaged<NcclUniqueId*, int> GetUniqueId;
    public readonly delegate* unmanaged<nint*, int, NcclUniqueId, int, int> CommInitRank;
    public readonly delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int> AllReduce;
    public readonly delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int> Broadcast;
    public readonly delegate* unmanaged<nint, int> CommAbort, CommDestroy;
    readonly delegate* unmanaged<int, nint> _errorString;
    readonly delegate* unmanaged<int, int> _setDevice;

    /// <summary>The environment variable naming an NCCL library file to load instead (a build of one's own, or the tests' stand-in).</summary>
    public const string OverrideVariable = "VLM_NCCL_LIBRARY";

    /// <summary>Where NCCL is looked for: its soname, then the unversioned name a development install adds.</summary>
    public static readonly string[] Names = ["libnccl.so.2", "libnccl.so"];
    static readonly string[] CudaRuntimes = ["libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so"];

    public string Name { get; }

    NcclLibrary(string name, nint handle, nint cudaRuntime)
    {
        Name = name;
        nint Export(nint library, string owner, string symbol) => NativeLibrary.TryGetExport(library, symbol, out var address)
            ? address : throw new DllNotFoundException($"{owner} has no {symbol}: not an NCCL this program knows (2.x is needed)");
        GetUniqueId = (delegate* unmanaged<NcclUniqueId*, int>)Export(handle, name, "ncclGetUniqueId");
        CommInitRank = (delegate* unmanaged<nint*, int, NcclUniqueId, int, int>)Export(handle, name, "ncclCommInitRank");
        AllReduce = (delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int>)Export(handle, name, "ncclAllReduce");
        Broadcast = (delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int>)Export(handle, name, "ncclBroadcast");
        CommAbort = (delegate* unmanaged<nint, int>)Export(handle, name, "ncclCommAbort");
        CommDestroy = (delegate* unmanaged<nint, int>)Export(handle, name, "ncclCommDestroy");
        _errorString = (delegate* unmanaged<int, nint>)Export(handle, name, "ncclGetErrorString");
        _setDevice = cudaRuntime == 0 ? null : (delegate* unmanaged<int, int>)Export(cudaRuntime, "the CUDA runtime", "cudaSetDevice");
    }

    /// <summary>
    /// NCCL from <paramref name="names"/> (<see cref="Names"/> unless a test names a stand-in), and the CUDA
    /// runtime unless <paramref name="needsCuda"/> is false (a stand-in on the CPU); a clear error naming
    /// what was tried and what to do when either is missing.
    /// </summary>
    public static NcclLibrary Load(IReadOnlyList<string>? names = null, bool needsCuda = true)
    {
        var tried = new List<string>();
        foreach (string name in names ?? Names)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle))
            {
                tried.Add(name);
                continue;
            }
            nint runtime = 0;
            if (needsCuda && !CudaRuntimes.Any(r => NativeLibrary.TryLoad(r, out runtime)))
                throw new DllNotFoundException($"the CUDA runtime could not be loaded (tried {string.Join(", ", CudaRuntimes)}): NCCL needs it; it comes with PyTorch's CUDA wheels (nvidia-cuda-runtime) or the CUDA toolkit, on LD_LIBRARY_PATH");
            return new NcclLibrary(name, handle, runtime);
        }
        throw new DllNotFoundException($"NCCL could not be loaded (tried {string.Join(", ", tried)}): install NVIDIA's NCCL (PyTorch's CUDA wheels bring it as nvidia-nccl-cu12/cu13: add its lib folder to LD_LIBRARY_PATH), or use --distributed mpi");
    }

    /// <summary>Makes <paramref name="device"/> the calling thread's current CUDA device (a no-op for a stand-in on the CPU).</summary>
    public void SetDevice(int device)
    {
        if (_setDevice == null) return;
        int code = _setDevice(device);
        if (code != 0) throw new InvalidOperationException($"cudaSetDevice({device}) failed with CUDA error {code}: does this node have a GPU for local rank {device}?");
    }

    /// <summary>Throws with NCCL's own words for a failed call.</summary>
    public void Check(int result, string call)
    {
        if (result == 0) return;
        string? text = _errorString == null ? null : Marshal.PtrToStringUTF8(_errorString(result));
        throw new InvalidOperationException($"{call} failed: {text ?? "unknown error"} (NCCL result {result}); NCCL_DEBUG=WARN shows why");
    }
}
