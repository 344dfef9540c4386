using System.Runtime.CompilerServices;

namespace Certify.Runtime;

/// <summary>
/// Refuses to run Certify in a process with background (concurrent) garbage collection, with a message that says what to
/// change, instead of a crash in libtorch minutes later.
/// <para>
/// Why: TorchSharp hands every number given to a tensor operation to native code as a <c>c10::Scalar</c> owned by a
/// managed object with a finalizer; once its handle is passed, nothing keeps that object alive. A background
/// collection's final marking can suspend the program while libtorch is inside the call, find the object dead and
/// finalize it, freeing the scalar while libtorch reads it ("Unknown scalar type" from <c>c10/core/Scalar.h</c>, or a
/// segmentation fault). That failed 2-4 of 82 MNIST instances per run; with blocking collections only, 0 of 82
/// (benchmarks/verification/README.md). Directory.Build.props sets <c>ConcurrentGarbageCollection=false</c> for every
/// project of this repository, and the Certify.Core package's <c>buildTransitive</c> targets set it in every application
/// that references the package; this check catches what neither can see: a <c>DOTNET_gcConcurrent=1</c> environment
/// variable, a <c>runtimeconfig.template.json</c>, or a host that loads Certify as a plug-in.
/// </para>
/// The check reads the runtime's effective setting (<see cref="GC.GetConfigurationVariables"/>, key <c>ConcurrentGC</c>),
/// which reflects runtimeconfig.json, the AppContext switch <c>System.GC.Concurrent</c> and the environment alike. It runs
/// once, when Certify.Core is first used (a module initializer), so the error comes at start-up and not mid-run.
/// </summary>
public static class BlockingGc
{
    /// <summary>True when the runtime collects in the background (the .NET default for applications that do not turn it off).</summary>
    public static bool BackgroundIsOn =>
        GC.GetConfigurationVariables().TryGetValue("ConcurrentGC", out var on) && on is true;

    /// <summary>What to tell the user when background collection is on (one paragraph, no stack trace needed).</summary>
    public const string Message =
        "Certify needs blocking garbage collection, and this process runs with background (concurrent) GC, which frees " +
        "TorchSharp scalars while libtorch reads them (random crashes). Add <ConcurrentGarbageCollection>false</ConcurrentGarbageCollection> " +
        "to the application's project file (the Certify.Core package does this for projects that reference it), or remove " +
        "DOTNET_gcConcurrent=1 / \"System.GC.Concurrent\": true from the environment or runtimeconfig.json.";

    /// <summary>Throws <see cref="BackgroundGcException"/> when background collection is on.</summary>
    public static void Require()
    {
        if (BackgroundIsOn) throw new BackgroundGcException(Message);
    }

#pragma warning disable CA2255 // the one hook that runs before any tensor (and any TorchSharp scalar) exists
    [ModuleInitializer]
    internal static void OnLoad() => Require();
#pragma warning restore CA2255
}

/// <summary>Certify was loaded into a process with background garbage collection (see <see cref="BlockingGc"/>).</summary>
public sealed class BackgroundGcException(string message) : InvalidOperationException(message);
