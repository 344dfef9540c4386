using System.Diagnostics;
using System.Text;
using CliWrap;

namespace Certify.Verification.Benchmarks;

/// <summary>
/// A child process to run: program, arguments (passed as a list, never through a shell unless the program is one) and
/// how to run it. Immutable; give it to <see cref="ToolProcess.Run"/>.
/// </summary>
public sealed record ToolCommand(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>Working directory; null: this process's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Environment changes on top of this process's environment: a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Wall-clock limit; past it the whole process tree is killed and the outcome says <see cref="ToolOutcome.TimedOut"/>. Null: none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Have the kernel kill the child when this process dies, even by SIGKILL (Linux, where util-linux's <c>setpriv</c>
    /// exists: <c>PR_SET_PDEATHSIG</c>). A run killed with SIGKILL cannot end its children itself, and an isolated
    /// <c>certify verify</c> once went on as an orphan to its own time limit. The signal fires when the thread that
    /// started the child ends, so use it only from a thread that outlives the child (the run's own thread).
    /// </summary>
    public bool DieWithParent { get; init; }

    /// <summary>Called with each line of standard error as it arrives (e.g. to forward progress); null: none.</summary>
    public Action<string>? OnStandardErrorLine { get; init; }

    /// <summary>Most characters kept of each stream (the tail is kept); 16 Mi by default, enough for any JSON document Certify prints.</summary>
    public int MaxCapturedChars { get; init; } = 16 << 20;

    /// <summary>
    /// Write standard output to this file instead of capturing it (a worker's log: long, and read after the end);
    /// <see cref="ToolOutcome.Stdout"/> is then empty. Null: captured.
    /// </summary>
    public string? StandardOutputPath { get; init; }
}

/// <summary>How a child ended.</summary>
/// <param name="ExitCode">Its exit code; null when it was killed (timeout or cancellation).</param>
/// <param name="TimedOut">It overran <see cref="ToolCommand.Timeout"/> and was killed with its process tree.</param>
/// <param name="Cancelled">The caller's cancellation killed it (with its process tree).</param>
/// <param name="Seconds">Wall-clock time from start to end.</param>
/// <param name="Stdout">Its standard output (the last <see cref="ToolCommand.MaxCapturedChars"/> characters).</param>
/// <param name="Stderr">Its standard error (likewise).</param>
public sealed record ToolOutcome(int? ExitCode, bool TimedOut, bool Cancelled, double Seconds, string Stdout, string Stderr)
{
    /// <summary>The last non-blank line of standard error (where a tool's one-line error is), or empty.</summary>
    public string LastErrorLine => Stderr.Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
}

/// <summary>
/// The one tool runner of Certify: every child process (an isolated instance of <c>run</c>, a verifier under
/// <c>soundness run</c>, a fuzzing segment, the tests' runs of the command line and the SDK) is started here, through
/// CliWrap. Standard input is empty, both output streams are captured (and drained while the child runs, so a chatty
/// child never blocks on a full pipe), and on a timeout or a cancellation the child is killed with its whole process
/// tree: a verifier script that starts a Python process, which starts workers, leaves nothing behind. Child processes
/// were once managed by hand in five places, each with its own wait loop and its own idea of what to kill.
/// </summary>
public static class ToolProcess
{
    const string SetPriv = "/usr/bin/setpriv";

    /// <summary>Runs <paramref name="command"/> to its end, its timeout, or <paramref name="cancel"/>.</summary>
    /// <exception cref="System.ComponentModel.Win32Exception">the program cannot be started (not found, not executable).</exception>
    public static ToolOutcome Run(ToolCommand command, CancellationToken cancel = default) =>
        Start(command, cancel, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Starts <paramref name="command"/> and returns at once; the child is started on the calling thread (which matters
    /// for <see cref="ToolCommand.DieWithParent"/>). <paramref name="graceful"/> asks the child to stop (SIGTERM: a
    /// <c>certify run</c> then stops between rows and keeps every finished row) and <paramref name="cancel"/> kills its
    /// process tree. SIGTERM and not SIGINT: a process started in the background by a shell without job control (a
    /// script's <c>certify run ... &amp;</c>, many schedulers) inherits SIGINT ignored and would not hear it.
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">the program cannot be started.</exception>
    public static Task<ToolOutcome> Start(ToolCommand command, CancellationToken cancel, CancellationToken graceful)
    {
        var (program, args) = (command.Program, command.Arguments.ToList());
        if (command.DieWithParent && OperatingSystem.IsLinux() && File.Exists(SetPriv))
        {
            args = ["--pdeathsig", "KILL", "--", program, .. args];
            program = SetPriv;
        }
        var stdout = new Tail(command.MaxCapturedChars, null);
        var stderr = new Tail(command.MaxCapturedChars, command.OnStandardErrorLine);
        var cli = Cli.Wrap(program).WithArguments(args)
            .WithStandardInputPipe(PipeSource.Null)
            .WithStandardOutputPipe(command.StandardOutputPath is { } log ? PipeTarget.ToFile(log) : PipeTarget.Create((s, ct) => stdout.CopyFromAsync(s, ct)))
            .WithStandardErrorPipe(PipeTarget.Create((s, ct) => stderr.CopyFromAsync(s, ct)))
            .WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(e =>
            {
                foreach (var (k, v) in command.Environment) e.Set(k, v);
            });
        if (command.WorkingDirectory is { } dir) cli = cli.WithWorkingDirectory(dir);

        var timeout = command.Timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancel);
        var clock = Stopwatch.StartNew();
        Process? process = null;
        // CliWrap kills the child on cancellation; killing the tree here too makes sure grandchildren go with it
        // whatever the library version does.
        var killTree = linked.Token.Register(() => KillTree(process));
        var running = cli.ExecuteAsync(_ => { }, p => process = p, linked.Token);
        int pid = running.ProcessId;
        var ask = graceful.Register(() => { if (!OperatingSystem.IsWindows()) Kill(pid, SigTerm); });
        return Finish();

        async Task<ToolOutcome> Finish()
        {
            try
            {
                var result = await running.Task.ConfigureAwait(false);
                return new ToolOutcome(result.ExitCode, false, false, clock.Elapsed.TotalSeconds, stdout.Text, stderr.Text);
            }
            catch (OperationCanceledException)
            {
                KillTree(process);
                return new ToolOutcome(null, !cancel.IsCancellationRequested, cancel.IsCancellationRequested, clock.Elapsed.TotalSeconds, stdout.Text, stderr.Text);
            }
            finally
            {
                await ask.DisposeAsync().ConfigureAwait(false);   // the pid is not signalled once the child has ended (it could be reused)
                await killTree.DisposeAsync().ConfigureAwait(false);
                linked.Dispose();
                timeout.Dispose();
            }
        }
    }

    static void KillTree(Process? process)
    {
        try { process?.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }   // exited meanwhile
        catch (System.ComponentModel.Win32Exception) { }
    }

    const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);

    /// <summary>The host that runs this process's assemblies: this process's own <c>dotnet</c> when it is one, else the SDK's, or PATH's.</summary>
    public static string DotnetHost => Path.GetFileNameWithoutExtension(System.Environment.ProcessPath) == "dotnet" ? System.Environment.ProcessPath!
        : System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";

    /// <summary>A stream's text, keeping the last <c>max</c> characters, with each complete line passed to a callback.</summary>
    sealed class Tail(int max, Action<string>? onLine)
    {
        readonly StringBuilder _text = new();
        readonly StringBuilder _line = new();

        public string Text { get { lock (_text) return _text.ToString(); } }

        public async Task CopyFromAsync(Stream stream, CancellationToken ct)
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var buffer = new char[8192];
            int n;
            while ((n = await reader.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                lock (_text)
                {
                    _text.Append(buffer, 0, n);
                    if (_text.Length > max) _text.Remove(0, _text.Length - max);
                }
                if (onLine is null) continue;
                for (int i = 0; i < n; i++)
                {
                    if (buffer[i] != '\n') { _line.Append(buffer[i]); continue; }
                    onLine(_line.ToString().TrimEnd('\r'));
                    _line.Clear();
                }
            }
            if (onLine is not null && _line.Length > 0) onLine(_line.ToString());
        }
    }
}
