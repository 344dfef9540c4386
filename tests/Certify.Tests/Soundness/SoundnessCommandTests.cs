using Certify.Cli.Commands;
using Certify.Soundness;
using Certify.Verification.Benchmarks;

namespace Certify.Tests.Soundness;

/// <summary><c>certify soundness run</c>'s exit status: a tool that fails is never a passed audit.</summary>
public sealed class SoundnessCommandTests
{
    static int Run(params string[] args) => CommandHarness.Run<SoundnessCommand>(args);

    static (string Bench, string Tool) BenchWithTool(string script)
    {
        var dir = SpikeBenchmark.TempDir();
        var bench = SpikeBenchmark.Create(Path.Combine(dir, "bench"));
        var path = Path.Combine(dir, "tool.sh");
        File.WriteAllText(path, "#!/usr/bin/env bash\n" + script + "\n");
        return (bench, $"bash {CommandTool.Quote(path)} {{onnx}} {{vnnlib}} {{results}} {{timeout}}");
    }

    [Fact]
    public void A_tool_that_crashes_on_every_instance_fails_the_audit()
    {
        var (bench, tool) = BenchWithTool("echo 'segmentation fault' >&2; exit 139");
        // The old harness exited 0: a crash is never unsound, so nothing counted as wrong.
        Assert.Equal(1, Run("soundness", "run", bench, "--tool", tool, "--results-dir", Path.Combine(bench, "..", "results")));
    }

    [Fact]
    public void Several_tools_get_a_row_each_and_one_that_only_errs_fails_the_run()
    {
        var (bench, unknown) = BenchWithTool("printf 'unknown\\n' > \"$3\"");
        var (_, crash) = BenchWithTool("exit 1");
        var results = Path.Combine(bench, "..", "results2");
        Assert.Equal(1, Run("soundness", "run", bench, "--tool", unknown, "--tool", crash, "--results-dir", results));
        var report = File.ReadAllLines(Path.Combine(results, "soundness_report.md"));
        Assert.Equal(2, report.Count(l => l.StartsWith("| bash ")));
        Assert.Equal(0, Run("soundness", "run", bench, "--tool", unknown, "--tool", unknown, "--results-dir", Path.Combine(bench, "..", "results3")));
    }

    /// <summary>
    /// A tool given as a VNN-COMP folder (<c>vnncomp:FOLDER</c>) is called through its run_instance.sh: one that answers
    /// unsat everywhere is caught on the planted instances (exit 1), one that answers unknown passes (exit 0).
    /// </summary>
    [Fact]
    public void A_vnncomp_tool_folder_is_audited_through_run_instance_sh()
    {
        var dir = SpikeBenchmark.TempDir();
        var bench = SpikeBenchmark.Create(Path.Combine(dir, "bench"));
        string Folder(string name, string answer)
        {
            var folder = Path.Combine(dir, name);
            Directory.CreateDirectory(folder);
            // run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS TIMEOUT: the results file is the fifth argument.
            File.WriteAllText(Path.Combine(folder, "run_instance.sh"), $"#!/usr/bin/env bash\nprintf '{answer}\\n' > \"$5\"\n");
            return "vnncomp:" + folder;
        }
        Assert.Equal(1, Run("soundness", "run", bench, "--tool", Folder("always-unsat", "unsat"), "--results-dir", Path.Combine(dir, "r1")));
        Assert.Equal(0, Run("soundness", "run", bench, "--tool", Folder("never-sure", "unknown"), "--results-dir", Path.Combine(dir, "r2")));
    }

    [Fact]
    public void A_tool_that_answers_unknown_everywhere_passes_it_has_claimed_nothing_wrong()
    {
        var (bench, tool) = BenchWithTool("printf 'unknown\\n' > \"$3\"");
        Assert.Equal(0, Run("soundness", "run", bench, "--tool", tool, "--results-dir", Path.Combine(bench, "..", "results")));
    }

    [Fact]
    public void The_summary_fails_on_a_single_error()
    {
        var ok = new InstanceOutcome("a.vnnlib", "n.onnx", "control", "unsat", null, Classification.Missed, 1, "");
        var crash = ok with { Class = Classification.Error };
        Assert.False(new HarnessSummary(new[] { ok, ok }).Failed);
        Assert.True(new HarnessSummary(new[] { ok, crash }).Failed);
        Assert.False(new HarnessSummary(new[] { ok, crash }).AnyWrong);      // an error is a failure, not an unsound answer
    }

    [Theory]
    [InlineData("--timeout", "0")]
    [InlineData("--timeout", "-5")]
    [InlineData("--grace", "-1")]
    public void Bad_numbers_are_refused(string option, string value)
    {
        Assert.Contains(CommandHarness.ParseErrors<SoundnessCommand>("soundness", "run", "bench", option, value), e => e.StartsWith(option));
    }
}
