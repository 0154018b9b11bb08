using System.Runtime.InteropServices;

namespace Vlm.Trainers.Distributed;

/// <summary>
/// The MPI library that launched this process, loaded by hand: Open MPI's (<c>libmpi.so.40</c>) or
/// MPICH's (<c>libmpich.so.12</c>). Their ABIs differ in the handles: Open MPI's are the addresses of
/// exported objects (<c>ompi_mpi_comm_world</c>, <c>ompi_mpi_float</c>, <c>ompi_mpi_op_sum</c>, and
/// <c>MPI_IN_PLACE</c> is 1); MPICH's are integer constants (<c>MPI_COMM_WORLD</c> 0x44000000, and
/// <c>MPI_IN_PLACE</c> is -1). Both are passed as pointer-sized integers: on x86-64 and arm64 an int
/// argument is read from the low half of its register. The library is opened with RTLD_GLOBAL, as
/// Open MPI's own plugins need to see its symbols.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    public readonly nint CommWorld, Float, Double, Byte, Sum, InPlace;
    public readonly delegate* unmanaged<int*, nint, int> Init;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> CommRank, CommSize;
    public readonly delegate* unmanaged<nint, nint, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<nint, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<nint, int, int> Abort;

    public string Name { get; }

    [DllImport("libc", EntryPoint = "dlopen")]
    static extern nint DlOpen(string file, int mode);

    [DllImport("libc", EntryPoint = "dlerror")]
    static extern nint DlError();

    const int RtldNow = 2, RtldGlobal = 0x100;

    static readonly string[] OpenMpi = ["libmpi.so.40", "libmpi.so"], Mpich = ["libmpich.so.12", "libmpi.so.12", "libmpich.so"];

    MpiLibrary(string name, nint handle, bool openMpi)
    {
        Name = name;
        nint Export(string symbol) => NativeLibrary.TryGetExport(handle, symbol, out var address)
            ? address : throw new DllNotFoundException($"{name} has no {symbol}: not an MPI library this program knows");
        Init = (delegate* unmanaged<int*, nint, int>)Export("MPI_Init");
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        Allreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        Bcast = (delegate* unmanaged<nint, int, nint, int, nint, int>)Export("MPI_Bcast");
        Barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        Abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        if (openMpi)
        {
            CommWorld = Export("ompi_mpi_comm_world");
            Float = Export("ompi_mpi_float");
            Double = Export("ompi_mpi_double");
            Byte = Export("ompi_mpi_byte");
            Sum = Export("ompi_mpi_op_sum");
            InPlace = 1;
        }
        else
        {
            CommWorld = 0x44000000;
            Float = 0x4c00040a;
            Double = 0x4c00080b;
            Byte = 0x4c00010d;
            Sum = 0x58000003;
            InPlace = -1;
        }
    }

    /// <summary>The library of the launcher (<c>openmpi</c> or <c>mpich</c>; any other tries Open MPI, then MPICH).</summary>
    public static MpiLibrary Load(string launcher)
    {
        var order = launcher == "mpich" ? new[] { (Mpich, false), (OpenMpi, true) } : new[] { (OpenMpi, true), (Mpich, false) };
        var tried = new List<string>();
        foreach (var (names, openMpi) in order)
            foreach (var name in names)
            {
                nint handle = DlOpen(name, RtldNow | RtldGlobal);
                if (handle != 0) return new MpiLibrary(name, handle, openMpi);
                tried.Add($"{name} ({Marshal.PtrToStringUTF8(DlError())})");
            }
        throw new DllNotFoundException("no MPI library could be loaded: tried " + string.Join(", ", tried)
            + ". Install Open MPI (Debian: openmpi-bin) or MPICH and launch with its mpirun, or use --distributed none for one process");
    }
}
