using Certify.Cli;

namespace Certify.Tests.Cli;

/// <summary>
/// Output for scripts: piped, <c>certify</c> writes no ANSI escape code and prints <c>run</c>'s summary table at its
/// full width; on a terminal it uses codes (the control that shows the check can fail) unless <c>NO_COLOR</c> is set.
/// </summary>
public sealed class TerminalOutputTests
{
    const char Esc = '\u001b';

    /// <summary>A run over the tiny ground-truth network whose label is wrong on purpose: the run prints its red WRONG line and table.</summary>
    static string[] RunArgs(string dir)
    {
        var (model, sat, _) = CliFiles.Tiny(dir);
        var list = CliFiles.Write(dir, "list.csv", $"onnx,vnnlib,timeout,label,family\n{model},{sat},600,unsat,a_family_name_long_enough_to_widen_the_table\n");
        var config = CliFiles.Write(dir, "budget.yaml", CliFiles.WorkBudgetYaml);
        return new[] { "run", list, "--config", config };
    }

    [Fact]
    public void Piped_run_output_has_no_ansi_codes_and_the_summary_table_is_not_cut_at_80_columns()
    {
        var dir = CliFiles.TempDir();
        try
        {
            var r = CliProcess.Run(RunArgs(dir), new Dictionary<string, string?> { ["TERM"] = "xterm-256color", ["COLUMNS"] = "80" });
            Assert.Equal(ExitCodes.Failure, r.Code);                 // the planted wrong label
            Assert.Contains("WRONG", r.Stdout);
            Assert.DoesNotContain(Esc, r.Stdout);
            Assert.DoesNotContain(Esc, r.Stderr);
            // The header row holds every column on one line, wider than 80 characters.
            var header = r.Stdout.Split('\n').FirstOrDefault(l => l.Contains("family", StringComparison.Ordinal) && l.Contains("time (s)", StringComparison.Ordinal));
            Assert.True(header is not null, "no line holds the whole table header:\n" + r.Stdout);
            Assert.True(header!.Length > 80, $"the header line is {header.Length} characters");
            Assert.Contains(r.Stdout.Split('\n'), l => l.Contains("a_family_name_long_enough_to_widen_the_table", StringComparison.Ordinal) && l.Contains("1 ", StringComparison.Ordinal));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [SkippableFact]
    public void On_a_terminal_colours_are_used_unless_NO_COLOR_is_set()
    {
        Skip.IfNot(CliProcess.HasScript, "util-linux 'script' is not installed: no pseudo-terminal to test with");
        var dir = CliFiles.TempDir();
        try
        {
            var coloured = CliProcess.InTerminal(RunArgs(dir));
            Assert.Contains("WRONG", coloured.Stdout);
            Assert.Contains(Esc, coloured.Stdout);
            var plain = CliProcess.InTerminal(RunArgs(dir), new Dictionary<string, string?> { ["NO_COLOR"] = "1" });
            Assert.Contains("WRONG", plain.Stdout);
            Assert.DoesNotContain(Esc, WithoutRuntimeKeypadMode(plain.Stdout));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>
    /// The .NET runtime itself switches a terminal's keypad to application mode (<c>ESC [ ? 1 h ESC =</c>, and back at
    /// exit) when it sets up the console on a terminal: neither colour nor cursor movement, and not Certify's to remove.
    /// </summary>
    static string WithoutRuntimeKeypadMode(string s) => s.Replace("\u001b[?1h\u001b=", "").Replace("\u001b[?1l\u001b>", "");

    [Theory]
    [InlineData(true, null, "xterm", true)]
    [InlineData(true, "", "xterm", true)]           // NO_COLOR set but empty: no effect (no-color.org)
    [InlineData(true, "1", "xterm", false)]
    [InlineData(true, null, "dumb", false)]
    [InlineData(false, null, "xterm", false)]
    public void Ansi_only_on_a_terminal_without_NO_COLOR_or_a_dumb_terminal(bool terminal, string? noColor, string term, bool expected) =>
        Assert.Equal(expected, Terminal.AnsiWanted(terminal, noColor, term));
}
