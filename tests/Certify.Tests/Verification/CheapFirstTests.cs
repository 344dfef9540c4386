using System.Text.RegularExpressions;
using Certify.Solvers.Milp;
using Certify.Tests.Solvers;
using Certify.Verification;
using Certify.Verification.Attack;
using Xunit.Abstractions;

namespace Certify.Tests.Verification;

/// <summary>
/// The order of the verifier's stages (issue 17, "cheap first"): a short attack ended by work, CROWN and alpha-CROWN on
/// the root, and only then the full attack, scaled by how likely a counterexample looks. Budgets are work: the
/// assertions read which stages ran and how many gradient steps the attacks took, never how long anything took.
/// </summary>
public sealed class CheapFirstTests(ITestOutputHelper output)
{
    static string Example(string relative) => Path.Combine(TestPaths.RepoRoot, "examples", "mnist", relative);

    /// <summary>The gradient steps an attack step line reports ("..., 20 gradient steps): ...").</summary>
    static long GradientSteps(string step) => long.Parse(Regex.Match(step, @"(\d+) gradient steps").Groups[1].Value);

    VerificationReport Logged(VerificationReport report)
    {
        foreach (var s in report.Steps) output.WriteLine(s);
        return report;
    }

    [Fact]
    public void The_readme_example_is_proved_by_crown_on_the_root_before_the_full_attack_runs()
    {
        // The full attack's default schedule (20 rounds of 100 steps: seconds of work that find nothing here) with the hang
        // guard as its only time limit: the old order spent all of it before any bound. Now the short attack's work and a
        // CROWN root bound decide, and the full attack never starts.
        var options = WorkBudgets.Verifier(maxDomains: 10_000) with { AttackSchedule = new AttackOptions { TimeLimit = WorkBudgets.HangGuard } };
        var report = Logged(Verifier.Verify(Example("cnn-small-ibp.onnx"), Example("properties/mnist_test0001_eps0.1.vnnlib"), options));
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
        Assert.Contains(report.Steps, s => s.StartsWith("root bounds (crown): proved", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Steps, s => s.StartsWith("attack (", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Steps, s => s.StartsWith("branch and bound", StringComparison.Ordinal));
        var cheap = Assert.Single(report.Steps, s => s.StartsWith("attack, cheap", StringComparison.Ordinal));
        var limit = new CheapAttackOptions();
        Assert.InRange(GradientSteps(cheap), 1, limit.Rounds * limit.Iterations);
    }

    [Fact]
    public void With_root_bounds_off_the_full_attack_runs_first_with_its_whole_schedule_as_before()
    {
        var options = WorkBudgets.Verifier(maxDomains: 10_000) with { RootBoundsFirst = false, AttackSchedule = WorkBudgets.Attack(rounds: 1, iterations: 10) };
        var report = Logged(Verifier.Verify(Example("cnn-small-ibp.onnx"), Example("properties/mnist_test0001_eps0.1.vnnlib"), options));
        Assert.Equal(VerdictKind.Unsat, report.Verdict.Kind);
        Assert.DoesNotContain(report.Steps, s => s.StartsWith("root bounds", StringComparison.Ordinal) || s.StartsWith("attack, cheap", StringComparison.Ordinal));
        int attack = report.Steps.ToList().FindIndex(s => s.StartsWith("attack (", StringComparison.Ordinal));
        int bab = report.Steps.ToList().FindIndex(s => s.StartsWith("branch and bound", StringComparison.Ordinal));
        Assert.True(attack >= 0 && bab > attack, "the full attack runs, before branch and bound");
        Assert.Equal(10, GradientSteps(report.Steps[attack]));
    }

    [Fact]
    public void A_counterexample_the_short_attack_misses_is_still_found_by_the_full_attack_after_the_root_bounds()
    {
        // A thin sat slice just under the exact maximum of output 0 (MILP): no bound can prove it, the short attack is
        // given no work at all, and branch and bound is held to one sub-domain, so the sat answer must come from the
        // full attack, which has to run after the unproven root bounds.
        var net = new ExportedNetwork(TestNetworks.Mlp(1, 4, 12, 12, 3));
        using var _ = net;
        var lo = Enumerable.Repeat(-1.0, 4).ToArray();
        var hi = Enumerable.Repeat(1.0, 4).ToArray();
        var max = new MilpBackend().Optimize(net.Graph, lo, hi, new[] { 1.0, 0, 0 }, true, WorkBudgets.HangGuard).Value;
        var spec = TestNetworks.HalfSpaceSpec(lo, hi, new[] { -1.0, 0, 0 }, -(max - 0.02 * Math.Max(1, Math.Abs(max))));
        var schedule = new AttackOptions { TimeLimit = WorkBudgets.HangGuard, Iterations = 60, MaxRounds = 5, RandomSamples = 256, MaxCornerInputs = 0 };
        var options = WorkBudgets.Verifier(maxDomains: 1) with
        {
            AttackSchedule = schedule,
            CheapAttack = new CheapAttackOptions { RandomSamples = 0, Rounds = 0 },
        };
        var report = Logged(new Verifier(net.Graph, spec, net.Reference, options).Run());
        Assert.Equal(VerdictKind.Sat, report.Verdict.Kind);
        var steps = report.Steps.ToList();
        int cheap = steps.FindIndex(s => s.StartsWith("attack, cheap", StringComparison.Ordinal) && s.Contains("no counterexample"));
        int root = steps.FindIndex(s => s.StartsWith("root bounds (crown): not proved", StringComparison.Ordinal));
        int full = steps.FindIndex(s => s.StartsWith("attack (", StringComparison.Ordinal) && s.Contains("counterexample reproduced"));
        Assert.True(cheap >= 0 && root > cheap && full > root, "short attack, unproven root bounds, then the full attack found it");
        Assert.Equal(0, GradientSteps(steps[cheap]));
        Assert.True(spec.Regions[0].Contains(report.Verdict.Counterexample!.X));
        Assert.True(net.Reference.Run(report.Verdict.Counterexample.X)[0] >= max - 0.02 * Math.Max(1, Math.Abs(max)));
    }

    [Theory]
    [InlineData(-1.0, 1.0)]
    [InlineData(-0.01, 5.0)]
    [InlineData(-5.0, 0.01)]
    [InlineData(-3.0, 3.0)]
    public void The_full_attack_keeps_the_share_of_the_margin_interval_below_zero_but_at_least_the_floor(double root, double attack)
    {
        const double floor = 0.25;
        double scale = Verifier.AttackScale(root, attack, floor);
        Assert.Equal(Math.Max(floor, -root / (attack - root)), scale, 12);
        Assert.InRange(scale, floor, 1);
        // A worse root bound, or an attack that came closer to a violation, never gets less attack.
        Assert.True(Verifier.AttackScale(root * 2, attack, floor) >= scale);
        Assert.True(Verifier.AttackScale(root, attack / 2, floor) >= scale);
    }

    [Theory]
    [InlineData(null, 1.0)]
    [InlineData(-1.0, null)]
    [InlineData(-1.0, double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity, 1.0)]
    [InlineData(-1.0, double.NaN)]
    [InlineData(-1.0, 0.0)]
    public void Without_both_margins_on_their_side_of_zero_the_full_attack_keeps_its_whole_cap(double? root, double? attack) =>
        Assert.Equal(1.0, Verifier.AttackScale(root, attack, 0.25));
}
