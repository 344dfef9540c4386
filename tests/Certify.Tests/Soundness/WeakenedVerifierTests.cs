using Certify.Soundness;
using Certify.Spec;
using Certify.Verification.Benchmarks;

namespace Certify.Tests.Soundness;

/// <summary>
/// Self-check of the harness (issue item 3): the in-process input-split CROWN prover is sound on the spike benchmark (it
/// finds the planted counterexample by splitting, where attacks alone fail, and proves the control), while each
/// deliberately weakened variant answers unsat on the planted instance and is flagged UNSOUND.
/// <para>The prover's budget is its 20,000 boxes; the time limit is only the hang guard (the spike benchmark's 30 s
/// per instance, within which the sat and unsat answers had to come, is overridden).</para>
/// </summary>
public class WeakenedVerifierTests
{
    static HarnessSummary Run(ProverWeakening w)
    {
        var dir = SpikeBenchmark.TempDir();
        var bench = SpikeBenchmark.Create(Path.Combine(dir, "bench"));
        var tool = new BuiltinProverTool(w, maxBoxes: 20_000);
        return new SoundnessHarness(tool) { TimeoutOverride = WorkBudgets.HangGuard.TotalSeconds }.Run(bench, Path.Combine(dir, "results"));
    }

    [Fact]
    public void AttackAloneMissesThePlantedPoint()
    {
        var spec = VnnLibParser.Parse(Path.Combine(SpikeBenchmark.Create(Path.Combine(SpikeBenchmark.TempDir(), "b")), "vnnlib/spike_a.vnnlib"));
        var report = BudgetedAttack.Run(SpikeBenchmark.Network(), spec.Regions[0], new AttackBudget(500, 50, 5000), seed: 3);
        Assert.False(report.Found);
    }

    [Fact]
    public void SoundProverFindsPlantedCounterexampleAndProvesControl()
    {
        var s = Run(ProverWeakening.None);
        var planted = s.Outcomes.Single(o => o.Kind == BenchmarkManifest.Planted);
        Assert.Equal(ResultStatus.Sat, planted.Status);
        Assert.Equal(Classification.Correct, planted.Class);
        var control = s.Outcomes.Single(o => o.Kind == BenchmarkManifest.Control);
        Assert.Equal(ResultStatus.Unsat, control.Status);
        Assert.False(s.AnyWrong);
    }

    [Theory]
    [InlineData(ProverWeakening.SkipIntermediateBounds)]
    [InlineData(ProverWeakening.DropSplitBranch)]
    public void WeakenedProverIsFlaggedUnsound(ProverWeakening weakening)
    {
        var s = Run(weakening);
        Assert.Equal(Classification.Unsound, s.Outcomes.Single(o => o.Kind == BenchmarkManifest.Planted).Class);
        Assert.True(s.AnyWrong);
    }
}

/// <summary>
/// The same self-check on Certify's real verifier (attack, branch and bound), run in-process: sound as shipped,
/// and caught as UNSOUND when its branch and bound deliberately drops the second child of every split.
/// <para>The budget is work (<see cref="WorkBudgets.Verifier"/>: one attack round, at most <see cref="Domains"/>
/// sub-domains, no MILP); the instances' time limit is only the hang guard. With a 20 s limit the planted sat and the
/// weakened unsat had to come before the clock ran out.</para>
/// </summary>
public class WeakenedCertifyTests
{
    /// <summary>Sub-domains branch and bound may bound per instance.</summary>
    const long Domains = 10_000;

    static HarnessSummary Run(bool weakened)
    {
        var dir = SpikeBenchmark.TempDir();
        var bench = SpikeBenchmark.Create(Path.Combine(dir, "bench"));
        var tool = new CertifyTool(weakened, WorkBudgets.Verifier(Domains));
        return new SoundnessHarness(tool) { TimeoutOverride = WorkBudgets.HangGuard.TotalSeconds }.Run(bench, Path.Combine(dir, "results"));
    }

    [Fact]
    public void CertifyFindsThePlantedCounterexampleAndIsNeverWrong()
    {
        var s = Run(weakened: false);
        Assert.False(s.AnyWrong);
        var planted = s.Outcomes.Single(o => o.Kind == BenchmarkManifest.Planted);
        Assert.Equal(Classification.Correct, planted.Class);
        Assert.Equal(ResultStatus.Sat, planted.Status);
    }

    [Fact]
    public void CertifyWithADroppedSplitBranchIsFlaggedUnsound()
    {
        var s = Run(weakened: true);
        Assert.Equal(Classification.Unsound, s.Outcomes.Single(o => o.Kind == BenchmarkManifest.Planted).Class);
        Assert.True(s.AnyWrong);
    }
}
