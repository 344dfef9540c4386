using System.Diagnostics;
using Certify.Cli;

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

    static string Host => Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";

    /// <summary>The command <c>dotnet certify.dll</c>, as arguments.</summary>
    public static IEnumerable<string> CommandLine => new[] { Host, typeof(Program).Assembly.Location };

    /// <summary>Runs <c>certify ARGS</c> with pipes for its output; <paramref name="env"/> adds or removes (null) variables.</summary>
    public static Outcome Run(string[] args, IDictionary<string, string?>? env = null) => Start(CommandLine.Concat(args), env);

    /// <summary>Runs any program with pipes for its output, with the environment changes of <paramref name="env"/>.</summary>
    public static Outcome Start(IEnumerable<string> commandLine, IDictionary<string, string?>? env = null)
    {
        var argv = commandLine.ToList();
        var start = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in argv.Skip(1)) start.ArgumentList.Add(a);
        // The test host's own variables would leak into the child: NO_COLOR from a developer's shell changes what it prints.
        start.Environment.Remove("NO_COLOR");
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
            if (v is null) start.Environment.Remove(k); else start.Environment[k] = v;
        using var p = Process.Start(start)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(WorkBudgets.HangGuard))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', argv)} did not finish within {WorkBudgets.HangGuard}");
        }
        p.WaitForExit();
        return new Outcome(p.ExitCode, stdout.Result, stderr.Result);
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
