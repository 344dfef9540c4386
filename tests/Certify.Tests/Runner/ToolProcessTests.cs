using Certify.Verification.Benchmarks;

namespace Certify.Tests.Runner;

/// <summary>The one tool runner: captured streams and exit code, environment changes, and a hanging child killed with its tree.</summary>
public sealed class ToolProcessTests
{
    static ToolOutcome Bash(string script, TimeSpan? timeout = null, IReadOnlyDictionary<string, string?>? env = null, CancellationToken cancel = default) =>
        ToolProcess.Run(new ToolCommand("/bin/bash", ["-c", script]) { Timeout = timeout ?? WorkBudgets.HangGuard, Environment = env ?? new Dictionary<string, string?>() }, cancel);

    [Fact]
    public void Captures_both_streams_and_the_exit_code()
    {
        var o = Bash("printf 'out\\nmore'; printf 'first\\nlast error\\n' >&2; exit 7");
        Assert.Equal(7, o.ExitCode);
        Assert.False(o.TimedOut);
        Assert.Equal("out\nmore", o.Stdout);
        Assert.Equal("first\nlast error\n", o.Stderr);
        Assert.Equal("last error", o.LastErrorLine);
    }

    [Fact]
    public void Environment_changes_add_and_remove_variables()
    {
        Assert.NotNull(Environment.GetEnvironmentVariable("PATH"));
        var o = Bash("echo \"${CERTIFY_TEST_VAR-unset} ${HOME-unset}\"", env: new Dictionary<string, string?> { ["CERTIFY_TEST_VAR"] = "set", ["HOME"] = null });
        Assert.Equal("set unset", o.Stdout.Trim());
    }

    [Fact]
    public void Standard_error_lines_reach_the_callback_as_they_come()
    {
        var lines = new List<string>();
        var o = ToolProcess.Run(new ToolCommand("/bin/bash", ["-c", "echo one >&2; echo two >&2; printf three >&2"]) { OnStandardErrorLine = lines.Add, Timeout = WorkBudgets.HangGuard });
        Assert.Equal(0, o.ExitCode);
        Assert.Equal(["one", "two", "three"], lines);
    }

    /// <summary>
    /// A child that starts a grandchild and then hangs: past the limit both must be gone (a verifier script's Python
    /// workers once outlived it). The limit is the thing under test, not a speed: the child never ends by itself.
    /// </summary>
    [Fact]
    public void A_hanging_child_is_killed_with_its_process_tree_on_timeout()
    {
        var o = Bash("sleep 100000 & echo $!; wait", timeout: TimeSpan.FromSeconds(3));
        Assert.True(o.TimedOut);
        Assert.Null(o.ExitCode);
        AssertGone(int.Parse(o.Stdout.Trim()));
    }

    [Fact]
    public void Cancellation_kills_the_tree_and_says_cancelled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var o = Bash("sleep 100000 & echo $!; wait", cancel: cancel.Token);
        Assert.True(o.Cancelled);
        Assert.False(o.TimedOut);
        AssertGone(int.Parse(o.Stdout.Trim()));
    }

    [Fact]
    public void A_program_that_does_not_exist_throws_rather_than_answering()
    {
        Assert.ThrowsAny<Exception>(() => ToolProcess.Run(new ToolCommand("/nonexistent/certify-tool", [])));
    }

    /// <summary>The process is gone, or a zombie waiting for init to reap it (killed either way).</summary>
    static void AssertGone(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        for (int i = 0; i < 100 && File.Exists(stat); i++)
        {
            string text;
            try { text = File.ReadAllText(stat); }
            catch (IOException) { break; }
            if (text[(text.LastIndexOf(')') + 2)..].StartsWith('Z')) return;
            Thread.Sleep(100);
        }
        Assert.False(File.Exists(stat) && !File.ReadAllText(stat)[(File.ReadAllText(stat).LastIndexOf(')') + 2)..].StartsWith('Z'), $"grandchild {pid} is still running");
    }
}
