using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Certify.Runtime;

/// <summary>
/// Keeps glibc's malloc from handing every large tensor straight back to the kernel.
/// <para>
/// libtorch's CPU allocator has no cache: each tensor is a fresh <c>malloc</c>, and glibc serves blocks above its mmap
/// threshold (128 KiB at start) with a new <c>mmap</c> and returns them with <c>munmap</c> on free. The bound passes
/// create and drop coefficient tensors of megabytes at every step, so each one paid a page fault per 4 KiB page and the
/// kernel's zeroing of it: measured here, CROWN on 1024 ACAS Xu sub-boxes spent most of its time there (0.5 s per layer
/// at depth 6, 0.15 s with the tuning). Raising the mmap threshold to glibc's maximum (32 MiB on 64-bit) and the trim
/// threshold far above it lets freed blocks be reused from the heap. The price is that the heap keeps its peak size.
/// </para>
/// Runs once when Certify.Core loads; does nothing off glibc (other C libraries ignore or lack these parameters).
/// Set <c>CERTIFY_MALLOC_TUNING=0</c> to keep glibc's defaults.
/// </summary>
public static class AllocatorTuning
{
    const int M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_THRESHOLD = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int param, int value);

    /// <summary>True when the tuning was applied in this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>Applies the tuning (idempotent). Called by the module initializer of Certify.Core.</summary>
    public static void Apply()
    {
        if (Applied || !OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("CERTIFY_MALLOC_TUNING") == "0") return;
        try
        {
            Applied = MallOpt(M_MMAP_THRESHOLD, 32 << 20) == 1
                & MallOpt(M_TRIM_THRESHOLD, 1 << 30) == 1
                & MallOpt(M_TOP_PAD, 64 << 20) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: nothing to tune.
        }
    }

#pragma warning disable CA2255 // a module initializer is the one hook that runs before any tensor is allocated
    [ModuleInitializer]
    internal static void OnLoad() => Apply();
#pragma warning restore CA2255
}
