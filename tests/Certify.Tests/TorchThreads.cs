using System.Runtime.CompilerServices;

// Test classes run one after another. TorchSharp hands every number given to a tensor operation to libtorch as a
// native scalar whose managed owner nothing keeps alive during the call: a garbage collection triggered by another
// test's thread can finalize it while libtorch reads it ("Unknown scalar type", seen as rare test failures). With one
// test thread, collections happen only at that thread's own allocations (see Directory.Build.props).
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace Certify.Tests;

/// <summary>
/// One libtorch thread per call. Test classes used to run in parallel, and libtorch's OpenMP threads of parallel tests
/// then waited on each other at every barrier on the 2-core CI machine (small tensor work 10-50x slower); the tests now
/// run one after another (above), and one thread keeps their speed independent of what else runs on the machine.
/// <para>The verifier chooses its own thread count for each run (<c>Certify.Runtime.ThreadPolicy</c>) unless
/// <c>CERTIFY_THREADS</c> fixes it: set here, it keeps verifications in this process, and the <c>certify</c> processes
/// that CLI tests start (they inherit the environment), at one thread too.</para>
/// </summary>
static class TorchThreads
{
#pragma warning disable CA2255 // runs once before any test touches libtorch
    [ModuleInitializer]
    internal static void OneThreadPerCall()
    {
        Environment.SetEnvironmentVariable(Certify.Runtime.ThreadPolicy.EnvironmentVariable, "1");
        TorchSharp.torch.set_num_threads(1);
    }
#pragma warning restore CA2255
}
