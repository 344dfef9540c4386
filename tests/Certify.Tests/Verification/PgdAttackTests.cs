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
    static readonly AttackOptions Quick = new() { TimeLimit = TimeSpan.FromSeconds(20), Iterations = 60, MaxRounds = 5, RandomSamples = 256 };

    /// <summary>An exported network, its box, and the exact max of output 0 (a known threshold for sat/unsat properties).</summary>
    static (ExportedNetwork Net, double[] Lo, double[] Hi, double Max) Setup(int seed, params int[] widths)
    {
        var net = new ExportedNetwork(TestNetworks.Mlp(seed, widths));
        var lo = Enumerable.Repeat(-1.0, widths[0]).ToArray();
        var hi = Enumerable.Repeat(1.0, widths[0]).ToArray();
        var c = Enumerable.Range(0, widths[^1]).Select(i => i == 0 ? 1.0 : 0).ToArray();
        var opt = new MilpBackend().Optimize(net.Graph, lo, hi, c, true, TimeSpan.FromSeconds(60));
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
        var quick = Quick with { TimeLimit = TimeSpan.FromSeconds(3) };
        Assert.Null(new PgdAttack(quick).Falsify(net.Graph, new CounterexampleChecker(net.Reference, spec)));
        var candidates = new PgdAttack(quick).Run(net.Graph, spec);
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
            var v = new PgdAttack(Quick with { TimeLimit = TimeSpan.FromSeconds(sat ? 20 : 3) }).Falsify(graph, new CounterexampleChecker(reference, spec));
            if (sat) Assert.Equal(VerdictKind.Sat, v?.Kind);
            else Assert.Null(v);
        }
    }
}
