using System.Runtime.CompilerServices;

namespace Certify.Tests;

/// <summary>
/// xUnit runs test classes in parallel, and each libtorch call would otherwise start as many OpenMP threads as there are
/// cores: on the 2-core CI machine the threads of parallel tests then wait on each other at every barrier, and small
/// tensor work was measured 10-50x slower. One libtorch thread per call keeps the cores busy with whole tests instead.
/// </summary>
static class TorchThreads
{
#pragma warning disable CA2255 // runs once before any test touches libtorch
    [ModuleInitializer]
    internal static void OneThreadPerCall() => TorchSharp.torch.set_num_threads(1);
#pragma warning restore CA2255
}
