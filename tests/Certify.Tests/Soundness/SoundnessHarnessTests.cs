using Certify.Runtime;
using Certify.Soundness;
using Certify.Verification.Benchmarks;
using Certify.Spec;

namespace Certify.Tests.Soundness;

/// <summary>The harness's judgements, with fake verifiers (bash scripts) and the in-process prover, on <see cref="SpikeBenchmark"/>.</summary>
public class SoundnessHarnessTests
{
    static (HarnessSummary Summary, string Bench) RunScript(string script, double timeout = 30, double grace = 10)
    {
        var dir = SpikeBenchmark.TempDir();
        var bench = SpikeBenchmark.Create(Path.Combine(dir, "bench"), timeout);
        var path = Path.Combine(dir, "tool.sh");
        File.WriteAllText(path, "#!/usr/bin/env bash\n# args: onnx vnnlib results timeout\n" + script + "\n");
        var tool = new CommandTool($"bash {CommandTool.Quote(path)} {{onnx}} {{vnnlib}} {{results}} {{timeout}}", grace);
        return (new SoundnessHarness(tool).Run(bench, Path.Combine(dir, "results")), bench);
    }

    static InstanceOutcome Planted(HarnessSummary s) => s.Outcomes.Single(o => o.Kind == BenchmarkManifest.Planted);
    static InstanceOutcome Control(HarnessSummary s) => s.Outcomes.Single(o => o.Kind == BenchmarkManifest.Control);

    [Fact]
    public void PlantedPointReallyViolatesInOnnxRuntime()
    {
        var bench = SpikeBenchmark.Create(Path.Combine(SpikeBenchmark.TempDir(), "bench"));
        using var ort = new OnnxRuntimeModel(Path.Combine(bench, "onnx/spike.onnx"));
        var spec = VnnLibParser.Parse(Path.Combine(bench, "vnnlib/spike_a.vnnlib"));
        Assert.True(spec.IsCounterexample(SpikeBenchmark.Point, ort.Run(SpikeBenchmark.Point)));
        var control = VnnLibParser.Parse(Path.Combine(bench, "vnnlib/spike_b.vnnlib"));
        Assert.False(control.IsCounterexample(new[] { 0.5, 0.5, 0.5, 0.5 }, ort.Run(new[] { 0.5, 0.5, 0.5, 0.5 })));
    }

    [Fact]
    public void AlwaysUnsatToolIsFlaggedUnsound()
    {
        var (s, _) = RunScript("printf 'unsat\\n' > \"$3\"");
        Assert.Equal(Classification.Unsound, Planted(s).Class);
        Assert.Equal(Classification.Correct, Control(s).Class);   // unsat agrees with the control's proof
        Assert.True(s.AnyWrong);
        Assert.Equal(1, s.Count(Classification.Unsound));
    }

    [Fact]
    public void ToolReturningThePlantedCounterexampleIsCorrect()
    {
        // Reads the private counterexample beside the benchmark: a "verifier" that knows the answer.
        var (s, _) = RunScript("""
            name=$(basename "$2" .vnnlib); cex="$(dirname "$2")/../counterexamples/$name.counterexample"
            if [ -f "$cex" ]; then cp "$cex" "$3"; else printf 'unsat\n' > "$3"; fi
            """);
        Assert.Equal(Classification.Correct, Planted(s).Class);
        Assert.Equal(ResultStatus.Sat, Planted(s).Status);
        Assert.Equal(Classification.Correct, Control(s).Class);
        Assert.False(s.AnyWrong);
        Assert.Equal(1, s.Found);
    }

    [Fact]
    public void CounterexamplesThatDoNotReproduceAreFlagged()
    {
        // (0.5, 0.5, 0.5, 0.5) is inside both boxes but safe; (2, 0, 0, 0) is outside both boxes; no assignment at all.
        var (safePoint, _) = RunScript("printf 'sat\\n((X_0 0.5)\\n (X_1 0.5)\\n (X_2 0.5)\\n (X_3 0.5)\\n (Y_0 -1)\\n (Y_1 0))\\n' > \"$3\"");
        Assert.All(safePoint.Outcomes, o => Assert.Equal(Classification.InvalidCounterexample, o.Class));
        Assert.Contains("does not violate the property", Planted(safePoint).Detail);
        var (outside, _) = RunScript("printf 'sat\\n((X_0 2)\\n (X_1 0)\\n (X_2 0)\\n (X_3 0))\\n' > \"$3\"");
        Assert.Contains("outside", Planted(outside).Detail);
        var (bare, _) = RunScript("printf 'sat\\n' > \"$3\"");
        Assert.Equal(Classification.InvalidCounterexample, Planted(bare).Class);
        Assert.True(bare.AnyWrong);
    }

    [Fact]
    public void UnknownTimeoutAndCrashesAreMissedOrErrors()
    {
        var (unknown, _) = RunScript("printf 'unknown\\n' > \"$3\"");
        Assert.All(unknown.Outcomes, o => Assert.Equal(Classification.Missed, o.Class));
        Assert.False(unknown.AnyWrong);
        var (crash, _) = RunScript("echo boom >&2; exit 3");
        Assert.All(crash.Outcomes, o => Assert.Equal(Classification.Error, o.Class));
        Assert.Contains("boom", Planted(crash).Detail);
        // A tool that overruns is killed (with its children) and counted as missed.
        var (slow, _) = RunScript("sleep 60; printf 'unsat\\n' > \"$3\"", timeout: 1, grace: 1);
        Assert.All(slow.Outcomes, o => Assert.Equal(Classification.Missed, o.Class));
        Assert.All(slow.Outcomes, o => Assert.Equal(ResultStatus.Timeout, o.Status));
    }

    [Fact]
    public void CommandTemplateNeedsResultsPlaceholder()
    {
        Assert.Throws<ArgumentException>(() => new CommandTool("verify {onnx} {vnnlib}"));
        var t = new CommandTool("v {onnx} {vnnlib} {results} {timeout}");
        Assert.Equal("v '/a b.onnx' '/p.vnnlib' '/r' 5", t.Expand("/a b.onnx", "/p.vnnlib", "/r", 5));
    }

    [Fact]
    public void ErrorsCountAgainstTheScoreAndOnlyErrorsIsFlagged()
    {
        var (crash, _) = RunScript("echo boom >&2; exit 3");
        var (unknown, _) = RunScript("printf 'unknown\\n' > \"$3\"");
        var (error, _) = RunScript("printf 'error\\n' > \"$3\"");
        Assert.True(crash.OnlyErrors);
        Assert.True(crash.Failed);
        Assert.True(error.OnlyErrors);            // an "error" answer is an error, not a miss
        Assert.False(unknown.OnlyErrors);
        Assert.Equal(0, unknown.Score);
        Assert.Equal(HarnessSummary.ErrorPoints * crash.Outcomes.Count, crash.Score);
        Assert.True(crash.Score < unknown.Score);
        var (always, _) = RunScript("printf 'unsat\\n' > \"$3\"");
        Assert.True(always.Score < crash.Score);  // one UNSOUND answer costs more than crashing everywhere
        var table = HarnessReport.Markdown([("crash", crash), ("unknown", unknown)]);
        Assert.Contains($"| crash | 2 | 0 | 0 | 0 | 2 | 0 | 0 | 0 | 0 | {crash.Score} |", table);
    }
}
