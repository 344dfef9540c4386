using Certify.Graph;
using Certify.Import;
using Certify.Solvers.Milp;
using Certify.Spec;
using Certify.Tests.Solvers;
using Certify.Verification;
using Certify.Verification.Attack;

namespace Certify.Tests.Verification;

public class PgdAttackTests
{
    /// <summary>
    /// A budget in work: 256 samples and 5 rounds of 60 steps per region. The time limit is only the hang guard; with
    /// 20 s (3 s where no counterexample exists) how close the attack got, and whether it found the sat ones, depended on
    /// the machine's speed.
    /// </summary>
    static readonly AttackOptions Quick = new() { TimeLimit = WorkBudgets.HangGuard, Iterations = 60, MaxRounds = 5, RandomSamples = 256 };

    /// <summary>An exported network, its box, and the exact max of output 0 (a known threshold for sat/unsat properties).</summary>
    static (ExportedNetwork Net, double[] Lo, double[] Hi, double Max) Setup(int seed, params int[] widths)
    {
        var net = new ExportedNetwork(TestNetworks.Mlp(seed, widths));
        var lo = Enumerable.Repeat(-1.0, widths[0]).ToArray();
        var hi = Enumerable.Repeat(1.0, widths[0]).ToArray();
        var c = Enumerable.Range(0, widths[^1]).Select(i => i == 0 ? 1.0 : 0).ToArray();
        var opt = new MilpBackend().Optimize(net.Graph, lo, hi, c, true, WorkBudgets.HangGuard);
        Assert.Equal(OptimumStatus.Optimal, opt.Status);
        return (net, lo, hi, opt.Value);
    }

    static double[] MinusE0(int m) => Enumerable.Range(0, m).Select(i => i == 0 ? -1.0 : 0).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Pgd_finds_a_counterexample_near_the_exact_maximum_and_it_reproduces(int seed)
    {
        var (net, lo, hi, max) = Setup(seed, 4, 12, 12, 3);
        using var _ = net;
        // Unsafe: y0 ≥ max − 2% of max's magnitude: a thin slice near the maximum.
        double threshold = max - 0.02 * Math.Max(1, Math.Abs(max));
        var spec = TestNetworks.HalfSpaceSpec(lo, hi, MinusE0(3), -threshold);
        var v = new PgdAttack(Quick).Falsify(net.Graph, new CounterexampleChecker(net.Reference, spec));
        Assert.NotNull(v);
        var ce = v!.Counterexample!;
        Assert.True(spec.Regions[0].Contains(ce.X));
        Assert.True(net.Reference.Run(ce.X)[0] >= threshold);
    }

    [Fact]
    public void Pgd_never_reports_sat_above_the_exact_maximum_and_its_candidates_stay_in_the_box()
    {
        var (net, lo, hi, max) = Setup(3, 4, 12, 12, 3);
        using var _ = net;
        var spec = TestNetworks.HalfSpaceSpec(lo, hi, MinusE0(3), -(max + 1e-3));
        Assert.Null(new PgdAttack(Quick).Falsify(net.Graph, new CounterexampleChecker(net.Reference, spec)));
        var candidates = new PgdAttack(Quick).Run(net.Graph, spec);
        Assert.NotEmpty(candidates);
        Assert.All(candidates, c =>
        {
            Assert.True(spec.Regions[0].Contains(c.X, 1e-6));
            Assert.True(c.Margin > 0);
        });
        // The best candidate gets close to the maximum: the attack really optimises.
        Assert.True(candidates[0].Margin < 0.1 * Math.Max(1, Math.Abs(max)), $"best margin {candidates[0].Margin}");
    }

    [Fact]
    public void Pgd_attacks_each_disjunct_and_each_region()
    {
        var (net, lo, hi, max) = Setup(4, 3, 16, 2);
        using var _ = net;
        var impossible = new Conjunction(new[] { new HalfSpace(new[] { -1.0, 0 }, -(max + 1)) });             // y0 ≥ max + 1
        var reachable = new Conjunction(new[] { new HalfSpace(new[] { -1.0, 0 }, -(max - 0.05)) });           // y0 ≥ max − 0.05
        var spec = new Specification(new[]
        {
            new InputRegion(lo, hi, new OutputCondition(new[] { impossible })),
            new InputRegion(lo, hi, new OutputCondition(new[] { impossible, reachable })),
        }, 3, 2);
        var v = new PgdAttack(Quick).Falsify(net.Graph, new CounterexampleChecker(net.Reference, spec));
        Assert.NotNull(v);
        Assert.Equal(1, v!.Counterexample!.Region);
        Assert.Equal(1, v.Counterexample.Disjunct);
    }

    [SkippableFact]
    public void Pgd_falsifies_the_labelled_sat_bench_instance_and_not_the_unsat_one()
    {
        var bench = TestPaths.RequireBench();
        var spec = VnnLibParser.Parse(Path.Combine(bench, "test_vnncomp/vnnlib/test_prop.vnnlib"));
        foreach (var (file, sat) in new[] { ("test_sat.onnx", true), ("test_unsat.onnx", false) })
        {
            var path = Path.Combine(bench, "test_vnncomp/onnx", file);
            var graph = OnnxImporter.Import(path);
            using var reference = new OnnxReferenceModel(path);
            var v = new PgdAttack(Quick).Falsify(graph, new CounterexampleChecker(reference, spec));
            if (sat) Assert.Equal(VerdictKind.Sat, v?.Kind);
            else Assert.Null(v);
        }
    }

    [Fact]
    public void Without_any_time_limit_the_attack_ends_after_its_rounds()
    {
        // No deadline and no time limit: only the work budget (samples, rounds × iterations) can end the attack, on a
        // property it cannot falsify (above the exact maximum); it returns its best points, all still safe.
        var (net, lo, hi, max) = Setup(3, 4, 12, 12, 3);
        using var _ = net;
        var spec = TestNetworks.HalfSpaceSpec(lo, hi, MinusE0(3), -(max + 1e-3));
        var unlimited = Quick with { TimeLimit = TimeSpan.MaxValue, MaxRounds = 2, Iterations = 20 };
        var candidates = new PgdAttack(unlimited).Run(net.Graph, spec, Deadline.None);
        Assert.NotEmpty(candidates);
        Assert.All(candidates, c => Assert.True(c.Margin > 0));
    }

    [Fact]
    public void The_verifier_runs_its_attack_on_the_given_schedule()
    {
        // A thin sat slice near the maximum that sampling and PGD find (as in the first test). With a schedule of no work at
        // all the verifier's attack cannot find it however much time it has; with five rounds it does. Branch and bound is
        // held to one sub-domain and MILP is off, so only the attack could answer sat.
        var (net, lo, hi, max) = Setup(1, 4, 12, 12, 3);
        using var _ = net;
        var spec = TestNetworks.HalfSpaceSpec(lo, hi, MinusE0(3), -(max - 0.02 * Math.Max(1, Math.Abs(max))));
        VerificationReport Run(AttackOptions schedule) =>
            new Verifier(net.Graph, spec, net.Reference, WorkBudgets.Verifier(maxDomains: 1) with { AttackSchedule = schedule }).Run();
        var none = Run(Quick with { RandomSamples = 0, MaxRounds = 0, MaxCornerInputs = 0 });
        Assert.Contains(none.Steps, s => s.StartsWith("attack") && s.Contains("no counterexample"));
        Assert.NotEqual(VerdictKind.Sat, none.Verdict.Kind);
        var some = Run(Quick);
        Assert.Equal(VerdictKind.Sat, some.Verdict.Kind);
        Assert.Contains(some.Steps, s => s.StartsWith("attack") && s.Contains("counterexample reproduced"));
    }
}
