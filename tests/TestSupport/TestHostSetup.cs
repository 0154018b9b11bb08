using System.Runtime.CompilerServices;
using Vlm.Trainers.Runtime;

namespace Vlm.Tests.TestSupport;

internal static class TestHostSetup
{
    /// <summary>
    /// The test process runs the kernels <c>vlm</c> runs (<see cref="CpuKernels"/>): libtorch fixes its
    /// choice at the first tensor, which here would otherwise depend on which test happens to come first.
    /// </summary>
    [ModuleInitializer]
    internal static void ChooseCpuKernels() => CpuKernels.Apply();
}
