using Certify.Cli;
using Certify.Verification.Benchmarks;

namespace Certify.Tests.Cli;

/// <summary>
/// Runs <c>certify</c> as a child process, as a script would: standard output and error are pipes (not a terminal),
/// so what a test reads is exactly what a pipeline gets. <see cref="InTerminal"/> runs it under a pseudo-terminal
/// (util-linux <c>script</c>) for the cases that need one.
/// </summary>
public static class CliProcess
{
    /// <summary>What a finished child left.</summary>
    public sealed record Outcome(int Code, string Stdout, string Stderr);

    /// <summary>The command <c>dotnet certify.dll</c>, as arguments.</summary>
    public static IEnumerable<string> CommandLine => new[] { ToolProcess.DotnetHost, typeof(Program).Assembly.Location };

    /// <summary>Runs <c>certify ARGS</c> with pipes for its output; <paramref name="env"/> adds or removes (null) variables.</summary>
    public static Outcome Run(string[] args, IDictionary<string, string?>? env = null) => Start(CommandLine.Concat(args), env);

    /// <summary>
    /// Runs any program with pipes for its output, with the environment changes of <paramref name="env"/>, through the
    /// product's one tool runner (<see cref="ToolProcess"/>); past <see cref="WorkBudgets.HangGuard"/> its tree is killed
    /// and the test fails.
    /// </summary>
    public static Outcome Start(IEnumerable<string> commandLine, IDictionary<string, string?>? env = null, string? workingDirectory = null, TimeSpan? guard = null)
    {
        var argv = commandLine.ToList();
        // The test host's own variables would leak into the child: NO_COLOR from a developer's shell changes what it prints.
        var environment = new Dictionary<string, string?> { ["NO_COLOR"] = null };
        foreach (var (k, v) in env ?? new Dictionary<string, string?>()) environment[k] = v;
        var limit = guard ?? WorkBudgets.HangGuard;
        var o = ToolProcess.Run(new ToolCommand(argv[0], argv.Skip(1).ToList()) { Environment = environment, WorkingDirectory = workingDirectory, Timeout = limit });
        if (o.TimedOut) throw new TimeoutException($"{string.Join(' ', argv)} did not finish within {limit}");
        return new Outcome(o.ExitCode!.Value, o.Stdout, o.Stderr);
    }

    /// <summary>Whether <c>script</c> (util-linux) is there to give a child a pseudo-terminal.</summary>
    public static bool HasScript => File.Exists("/usr/bin/script");

    /// <summary>
    /// Runs <c>certify ARGS</c> with its standard output and error on a pseudo-terminal (through <c>script</c>), and returns
    /// what the terminal received (both streams, as a user would see them).
    /// </summary>
    public static Outcome InTerminal(string[] args, IDictionary<string, string?>? env = null)
    {
        var command = string.Join(' ', CommandLine.Concat(args).Select(Quote));
        var e = new Dictionary<string, string?>(env ?? new Dictionary<string, string?>()) { ["TERM"] = env?.TryGetValue("TERM", out var t) == true ? t : "xterm-256color", ["COLUMNS"] = "200" };
        return Start(new[] { "/usr/bin/script", "-qefc", command, "/dev/null" }, e);
    }

    static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
