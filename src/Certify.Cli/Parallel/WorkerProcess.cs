using System.Runtime.InteropServices;
using System.Text;
using CliWrap;

namespace Certify.Cli.Parallel;

/// <summary>
/// Starts a child <c>certify</c> (this build: <c>dotnet certify.dll ARGS</c>) through CliWrap, the one place
/// <c>run --jobs</c> starts processes, so that it can move to the project's general tool runner in one step.
/// <para>Standard output goes to a log file (a worker's table and its WRONG / error lines); standard error is kept for
/// the message of a worker that fails. Interrupting asks first (SIGTERM: the worker stops between rows, keeping every
/// finished row in its results file) and kills the process tree only when the worker does not end soon after. SIGTERM
/// and not CliWrap's graceful SIGINT: a process started in the background by a shell without job control (a script's
/// <c>certify run ... &amp;</c>, many schedulers) inherits SIGINT ignored, and its workers would not hear it.</para>
/// <para>Where util-linux's <c>setpriv</c> exists, the child gets <c>PR_SET_PDEATHSIG</c>: a <c>run --jobs</c> killed with
/// SIGKILL (which it cannot catch) takes its workers with it instead of leaving them running. The signal fires when
/// the thread that started the child ends, so workers are started from the run's own thread, which lives until the
/// run ends.</para>
/// </summary>
static class WorkerProcess
{
    const string SetPriv = "/usr/bin/setpriv";

    /// <summary>A worker's end: its exit code and the last non-empty line it wrote to standard error.</summary>
    public sealed record Exit(int Code, string LastError);

    /// <summary>Starts <c>certify <paramref name="args"/></c> with <paramref name="environment"/> added to this process's environment.</summary>
    public static Task<Exit> Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment, string logPath,
                                   CancellationToken graceful, CancellationToken forceful)
    {
        // `dotnet certify.dll`, with the host running this process when it is dotnet (else the SDK's, or PATH's).
        var host = Path.GetFileNameWithoutExtension(System.Environment.ProcessPath) == "dotnet" ? System.Environment.ProcessPath!
            : System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var argv = new List<string>();
        var program = host;
        if (OperatingSystem.IsLinux() && File.Exists(SetPriv))
        {
            program = SetPriv;
            argv.AddRange(["--pdeathsig", "KILL", "--", host]);
        }
        argv.Add(typeof(WorkerProcess).Assembly.Location);
        argv.AddRange(args);
        var stderr = new StringBuilder();
        var command = CliWrap.Cli.Wrap(program)
            .WithArguments(argv)
            .WithEnvironmentVariables(environment)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToFile(logPath))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr));
        var running = command.ExecuteAsync(forceful);
        int pid = running.ProcessId;
        var ask = graceful.Register(() => { if (!OperatingSystem.IsWindows()) Kill(pid, SigTerm); });
        return Finish(running, stderr, ask);
    }

    const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);

    static async Task<Exit> Finish(CommandTask<CommandResult> running, StringBuilder stderr, CancellationTokenRegistration ask)
    {
        int code;
        try { code = (await running).ExitCode; }
        catch (OperationCanceledException) { code = ExitCodes.Interrupted; }
        finally { await ask.DisposeAsync(); }   // the pid is not signalled once the worker has ended (it could be reused)
        var last = stderr.ToString().Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
        return new Exit(code, last);
    }
}
