using System.Diagnostics;
using Spectre.Console;

namespace Certify.Cli;

/// <summary>
/// A Spectre.Console progress display drawn only on the thread that does the work, never by a background refresh thread.
/// <para>
/// Why: TorchSharp turns every number passed to a tensor operation into a native <c>c10::Scalar</c> owned by a managed
/// <c>Scalar</c> that has a finalizer and no dispose scope. Once its handle has been passed to native code, nothing keeps
/// the managed object alive; a garbage collection triggered meanwhile by another thread (Spectre's refresh thread
/// allocates on every frame) can finalize it, and the finalizer thread frees the scalar while libtorch is still reading it.
/// In runs of hundreds of instances that surfaced as libtorch errors about garbage scalars ("Unknown scalar type",
/// "Expected false to be true"). With no other thread allocating, collections happen only at the working thread's own
/// allocations, when every scalar it has released is really done with.
/// </para>
/// </summary>
static class ForegroundProgress
{
    /// <summary>A progress display without automatic refresh: call <see cref="Refresher.Tick"/> after updates.</summary>
    public static Progress Create() => AnsiConsole.Progress().AutoRefresh(false);

    /// <summary>Redraws <paramref name="ctx"/> at most every <paramref name="intervalMs"/> ms (always when forced).</summary>
    public sealed class Refresher(ProgressContext ctx, int intervalMs = 200)
    {
        readonly Stopwatch _since = Stopwatch.StartNew();

        public void Tick(bool force = false)
        {
            if (!force && _since.ElapsedMilliseconds < intervalMs) return;
            ctx.Refresh();
            _since.Restart();
        }
    }
}
