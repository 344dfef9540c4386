using Certify.Verification.Benchmarks;

namespace Certify.Cli.Parallel;

/// <summary>
/// Starts a child <c>certify</c> (this build: <c>dotnet certify.dll ARGS</c>) for <c>run --jobs</c>, through the one
/// tool runner (<see cref="ToolProcess"/>).
/// <para>Standard output goes to a log file (a worker's table and its WRONG / error lines); standard error is kept for
/// the message of a worker that fails. Interrupting asks first (SIGTERM: the worker stops between rows, keeping every
/// finished row in its results file) and kills the process tree only when the worker does not end soon after.</para>
/// <para>The child gets <c>PR_SET_PDEATHSIG</c> (<see cref="ToolCommand.DieWithParent"/>): a <c>run --jobs</c> killed
/// with SIGKILL (which it cannot catch) takes its workers with it instead of leaving them running. The signal fires
/// when the thread that started the child ends, so workers are started from the run's own thread, which lives until
/// the run ends.</para>
/// </summary>
static class WorkerProcess
{
    /// <summary>A worker's end: its exit code and the last non-empty line it wrote to standard error.</summary>
    public sealed record Exit(int Code, string LastError);

    /// <summary>Starts <c>certify <paramref name="args"/></c> with <paramref name="environment"/> added to this process's environment.</summary>
    public static async Task<Exit> Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment, string logPath,
                                         CancellationToken graceful, CancellationToken forceful)
    {
        var command = new ToolCommand(ToolProcess.DotnetHost, [typeof(WorkerProcess).Assembly.Location, .. args])
        {
            Environment = environment,
            DieWithParent = true,
            StandardOutputPath = logPath,
        };
        var outcome = await ToolProcess.Start(command, forceful, graceful).ConfigureAwait(false);
        return new Exit(outcome.ExitCode ?? ExitCodes.Interrupted, outcome.LastErrorLine);
    }
}
