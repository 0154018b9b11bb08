using System.Runtime.InteropServices;

namespace Vlm.Trainers.Runtime;

/// <summary>
/// Which of libtorch's CPU kernel builds this process runs. libtorch has AVX-512 builds of only a few
/// operations (its fused attention and softmax among them) and picks them on a CPU with AVX-512. On the
/// 2-core AMD EPYC machines this project is measured on, the AVX-512 <c>exp</c> those kernels call ran
/// 3-4x slower for stretches of seconds to minutes, in every thread of the process at once, while the
/// other operations kept their speed: the demo's attention forward + backward (8 x 4 heads x 96 x 16)
/// took 1.5 ms a call and then 5.0-6.2 ms in 16 of 17 test processes, and the demo trained at 18-22k
/// instead of 31-42k tokens/s for minutes in two of its two runs one evening. The AVX2 build of the
/// same kernels held 1.5-1.6 ms, and seven demo runs on it never fell below 28k tokens/s. So the
/// process asks for AVX2 unless <c>ATEN_CPU_CAPABILITY</c> is already set (set it to <c>avx512</c> to
/// get libtorch's own choice back). libtorch reads the variable once, at its first CPU kernel: this
/// must run before the process's first tensor.
/// </summary>
public static class CpuKernels
{
    public const string Variable = "ATEN_CPU_CAPABILITY";
    const string Preferred = "avx2";
    static int _applied;

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>
    /// Sets <c>ATEN_CPU_CAPABILITY=avx2</c> in the process's native environment (where libtorch reads it;
    /// .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach it) unless
    /// the variable is set already. Once per process, Linux only.
    /// </summary>
    public static void Apply()
    {
        if (OperatingSystem.IsLinux() && Interlocked.Exchange(ref _applied, 1) == 0 && Environment.GetEnvironmentVariable(Variable) is null)
        {
            try
            {
                if (SetEnv(Variable, Preferred, 0) == 0) Environment.SetEnvironmentVariable(Variable, Preferred);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // no C library to set it in: libtorch keeps its own choice
            }
        }
    }

    [DllImport("torch_cpu", EntryPoint = "_ZN2at18get_cpu_capabilityB5cxx11Ev")]
    static extern unsafe void GetCpuCapability(byte* result);

    /// <summary>
    /// The kernel build libtorch chose ("AVX2", "AVX512", "DEFAULT"), as <c>at::get_cpu_capability()</c>
    /// reports it, or null where that cannot be asked (not Linux, another libtorch). Asking fixes the
    /// choice: call it after <see cref="Apply"/> and after TorchSharp has loaded libtorch.
    /// </summary>
    public static unsafe string? Chosen()
    {
        if (!OperatingSystem.IsLinux()) return null;
        // The function returns a libstdc++ std::string through a hidden pointer: {char* data, size_t size,
        // char local[16]}. Its answers are short enough for the local buffer, so nothing is allocated.
        byte* text = stackalloc byte[32];
        try
        {
            GetCpuCapability(text);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        byte* data = *(byte**)text;
        long size = *(long*)(text + 8);
        if (data != text + 16 || size is < 0 or > 15) return null; // not the layout described above: do not guess
        return System.Text.Encoding.ASCII.GetString(data, (int)size);
    }
}
