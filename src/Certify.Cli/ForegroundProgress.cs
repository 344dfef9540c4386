using System.Diagnostics;
using Spectre.Console;

namespace Certify.Cli;

/// <summary>
/// A Spectre.Console progress display drawn only on the thread that does the work, never by a background refresh thread.
/// <para>
/// Why: TorchSharp turns every number passed to a tensor operation into a native <c>c10::Scalar</c> owned by a managed
/// <c>Scalar</c> that has a finalizer and no dispose scope. Once its handle has been passed to native code, nothing keeps
/// the managed object alive, and a garbage collection that runs meanwhile can finalize it: the finalizer thread frees the
/// scalar while libtorch is still reading it ("Unknown scalar type" errors in long runs). The cause measured was the
/// background collector, now off (<c>Directory.Build.props</c>); a blocking collection triggered by another thread that
/// allocates, such as Spectre's refresh thread on every frame, opens the same window. With the working thread the only
/// one allocating, collections happen at its own allocations, when every scalar it has released is really done with.
/// </para>
/// </summary>
static class ForegroundProgress
{
    /// <summary>A progress display without automatic refresh, on <paramref name="console"/> (default: standard output); call <see cref="Refresher.Tick"/> after updates.</summary>
    public static Progress Create(IAnsiConsole? console = null) => (console ?? AnsiConsole.Console).Progress().AutoRefresh(false);

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
