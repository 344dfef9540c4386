using Certify.Graph;
using Certify.Operators;
using Certify.Solvers;
using Certify.Solvers.Encoding;
using Certify.Solvers.Milp;
using Certify.Solvers.Smt;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Tests.Solvers;

public class ExactBackendTests
{
    /// <summary>Only a hang guard: these models solve in milliseconds, and no asserted outcome may depend on a time limit.</summary>
    static readonly TimeSpan Limit = WorkBudgets.HangGuard;

    static ExactQuery Query(double[] lo, double[] hi, double[] c, double d, double margin = 0, IntermediateBounds? bounds = null) =>
        new(lo, hi, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(c, d) }) }), bounds, margin);

    static double[] Unit(int m, int j, double s = 1) => Enumerable.Range(0, m).Select(i => i == j ? s : 0.0).ToArray();

    /// <summary>Networks small enough for Z3 (a few unstable ReLUs), including one with max pooling.</summary>
    public static IEnumerable<object[]> SmallNetworks() => new[]
    {
        new object[] { "mlp-3-6-6-2", 11 },
        new object[] { "mlp-4-10-3", 12 },
        new object[] { "tiny-pool", 14 },
    };

    /// <summary>All test networks for the MILP back-end, the convolutional one included.</summary>
    public static IEnumerable<object[]> Networks() => SmallNetworks().Append(new object[] { "conv", 13 }).Append(new object[] { "mlp-5-20-20-5", 15 });

    static (ComputationGraph G, double[] Lo, double[] Hi) Make(string kind, int seed) => kind switch
    {
        "mlp-3-6-6-2" => (TestNetworks.Mlp(seed, 3, 6, 6, 2), Enumerable.Repeat(-1.0, 3).ToArray(), Enumerable.Repeat(1.0, 3).ToArray()),
        "mlp-4-10-3" => (TestNetworks.Mlp(seed, 4, 10, 3), Enumerable.Repeat(-2.0, 4).ToArray(), Enumerable.Repeat(0.5, 4).ToArray()),
        "mlp-5-20-20-5" => (TestNetworks.Mlp(seed, 5, 20, 20, 5), Enumerable.Repeat(-1.0, 5).ToArray(), Enumerable.Repeat(1.0, 5).ToArray()),
        "tiny-pool" => (TestNetworks.TinyPool(seed), Enumerable.Repeat(-1.0, 9).ToArray(), Enumerable.Repeat(1.0, 9).ToArray()),
        _ => (TestNetworks.ConvNet(seed), Enumerable.Repeat(-0.5, 16).ToArray(), Enumerable.Repeat(0.5, 16).ToArray()),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Milp_maximum_is_attained_and_bounds_every_sample(string kind, int seed)
    {
        var (g, lo, hi) = Make(kind, seed);
        var c = Unit((int)g.OutputSize, 0);
        var opt = new MilpBackend().Optimize(g, lo, hi, c, maximize: true, Limit);
        Assert.Equal(OptimumStatus.Optimal, opt.Status);
        // The optimiser's input reproduces the optimum through the float64 forward pass.
        Assert.Equal(opt.Value, TestNetworks.Forward(g, opt.X!)[0], 4);
        // No sample exceeds it.
        var sampled = TestNetworks.ForwardBatch(g, TestNetworks.Samples(lo, hi, 3000, seed)).Max(y => y[0]);
        Assert.True(sampled <= opt.Value + 1e-6, $"sampled max {sampled} exceeds MILP max {opt.Value}");
    }

    [Theory]
    [MemberData(nameof(SmallNetworks))]
    public void Z3_agrees_with_the_milp_maximum(string kind, int seed)
    {
        var (g, lo, hi) = Make(kind, seed);
        var c = Unit((int)g.OutputSize, 0);
        var opt = new MilpBackend().Optimize(g, lo, hi, c, maximize: true, Limit);
        Assert.Equal(OptimumStatus.Optimal, opt.Status);
        // Z3 agrees: y0 ≥ max + δ is unsatisfiable, y0 ≥ max − δ is satisfiable.
        var z3 = new Z3Backend();
        var minus = Unit((int)g.OutputSize, 0, -1);
        var above = z3.FindViolation(g, Query(lo, hi, minus, -(opt.Value + 1e-3)), Limit);
        var below = z3.FindViolation(g, Query(lo, hi, minus, -(opt.Value - 1e-3)), Limit);
        Assert.Equal(ExactStatus.Infeasible, above.Status);
        Assert.Equal(ExactStatus.Candidate, below.Status);
        Assert.True(TestNetworks.Forward(g, below.X!)[0] >= opt.Value - 1e-3 - 1e-9);
    }

    [Theory]
    [MemberData(nameof(SmallNetworks))]
    public void Milp_and_z3_agree_on_sat_and_unsat_and_their_candidates_violate(string kind, int seed)
    {
        var (g, lo, hi) = Make(kind, seed);
        int m = (int)g.OutputSize;
        var rng = new Random(seed);
        IExactBackend[] backends = { new MilpBackend(), new Z3Backend() };
        for (int trial = 0; trial < 3; trial++)
        {
            // A random output direction and a threshold close to its range on the box.
            var c = Enumerable.Range(0, m).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            var ys = TestNetworks.ForwardBatch(g, TestNetworks.Samples(lo, hi, 500, seed + trial)).Select(y => y.Zip(c, (a, b) => a * b).Sum()).ToArray();
            double d = ys.Min() - (trial % 2 == 0 ? 0.05 : 1.0) * (ys.Max() - ys.Min());
            var outcomes = backends.Select(b => b.FindViolation(g, Query(lo, hi, c, d), Limit)).ToArray();
            Assert.All(outcomes, o => Assert.True(o.Status is ExactStatus.Infeasible or ExactStatus.Candidate, o.Detail));
            Assert.Equal(outcomes[0].Status, outcomes[1].Status);
            foreach (var o in outcomes.Where(o => o.Status == ExactStatus.Candidate))
            {
                var y = TestNetworks.Forward(g, o.X!);
                Assert.True(y.Zip(c, (a, b) => a * b).Sum() <= d + 1e-5, "candidate does not violate in the float64 forward pass");
                for (int i = 0; i < lo.Length; i++) Assert.InRange(o.X![i], lo[i] - 1e-6, hi[i] + 1e-6);
            }
        }
    }

    [Fact]
    public void Lp_relaxation_bounds_the_milp_optimum_and_proves_easy_disjuncts()
    {
        var g = TestNetworks.Mlp(21, 3, 8, 8, 2);
        var lo = Enumerable.Repeat(-1.0, 3).ToArray();
        var hi = Enumerable.Repeat(1.0, 3).ToArray();
        var c = new[] { 1.0, -1.0 };
        var exact = new MilpBackend().Optimize(g, lo, hi, c, true, Limit);
        var relaxed = new LpRelaxation().Bound(g, lo, hi, c, true, Limit);
        Assert.Equal(OptimumStatus.Optimal, exact.Status);
        Assert.Equal(OptimumStatus.Optimal, relaxed.Status);
        Assert.True(relaxed.Value >= exact.Value - 1e-7, $"LP bound {relaxed.Value} below MILP max {exact.Value}");

        // Unsafe set above the LP bound: the relaxation alone proves it; just below the MILP max: LP must not prove it.
        var unsafeAbove = new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(c.Select(v => -v).ToArray(), -(relaxed.Value + 1e-3)) }) });
        Assert.Equal(LpRelaxation.LpVerdict.Infeasible, new LpRelaxation().Check(g, lo, hi, unsafeAbove, null, Limit).Verdict);
        var unsafeBelow = new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(c.Select(v => -v).ToArray(), -(exact.Value - 1e-3)) }) });
        Assert.Equal(LpRelaxation.LpVerdict.Feasible, new LpRelaxation().Check(g, lo, hi, unsafeBelow, null, Limit).Verdict);
    }

    [Fact]
    public void Splitting_a_relu_into_its_two_phases_keeps_the_maximum()
    {
        var g = TestNetworks.Mlp(31, 3, 8, 6, 1);
        var lo = Enumerable.Repeat(-1.0, 3).ToArray();
        var hi = Enumerable.Repeat(1.0, 3).ToArray();
        var milp = new MilpBackend();
        var full = milp.Optimize(g, lo, hi, new[] { 1.0 }, true, Limit);
        var enc = GraphEncoder.Encode(g, lo, hi);
        int fc1 = g.Nodes.First(n => n.Name == "fc1").Id;
        int j = Enumerable.Range(0, 8).First(k => enc.NodeLower[fc1][k] < 0 && enc.NodeUpper[fc1][k] > 0);
        double best = double.NegativeInfinity;
        foreach (var active in new[] { false, true })
        {
            var l = enc.NodeLower[fc1].ToArray(); var u = enc.NodeUpper[fc1].ToArray();
            if (active) l[j] = 0; else u[j] = 0;
            var part = milp.Optimize(g, lo, hi, new[] { 1.0 }, true, Limit, new IntermediateBounds().Set(fc1, l, u));
            Assert.True(part.Status is OptimumStatus.Optimal or OptimumStatus.Infeasible);
            if (part.Status == OptimumStatus.Optimal)
            {
                best = Math.Max(best, part.Value);
                // The sub-domain's optimiser really has that phase.
                using var scope = NewDisposeScope();
                var pre = g.ForwardAll(tensor(part.X!, new long[] { 1, 3 }))[fc1].reshape(-1).data<double>()[j];
                Assert.True(active ? pre >= -1e-6 : pre <= 1e-6, $"phase {(active ? "active" : "inactive")} violated: {pre}");
            }
        }
        Assert.Equal(full.Value, best, 5);
    }

    [Fact]
    public void A_network_with_a_nonlinear_op_is_not_supported_by_either_backend()
    {
        var b = new GraphBuilder(new long[] { 2 });
        int h = b.Add(new LinearOp(ones(2, 2, dtype: ScalarType.Float64), null), "fc", "test", 0);
        h = b.Add(new TanhOp(), "act", "Tanh 'act'", h);
        var g = b.Build(h);
        var q = Query(new[] { 0.0, 0 }, new[] { 1.0, 1 }, new[] { 1.0, 0 }, 0);
        foreach (var backend in new IExactBackend[] { new MilpBackend(), new Z3Backend() })
        {
            var o = backend.FindViolation(g, q, Limit);
            Assert.Equal(ExactStatus.NotSupported, o.Status);
            Assert.Contains("act", o.Detail);
        }
    }

    [Fact]
    public void A_tiny_time_limit_never_yields_infeasible()
    {
        var g = TestNetworks.Mlp(41, 10, 40, 40, 40, 5);
        var lo = Enumerable.Repeat(-1.0, 10).ToArray();
        var hi = Enumerable.Repeat(1.0, 10).ToArray();
        // A query that is feasible (a sample attains y1 − y0 ≤ d), so infeasible is wrong however fast the machine: a
        // back-end stopped by its 1 ms limit must say timeout (or unknown), and one that finishes must say candidate. The
        // query used to be one of unknown answer, on which a fast enough machine could rightly prove infeasibility.
        var c = new[] { -1.0, 1, 0, 0, 0 };
        double d = TestNetworks.ForwardBatch(g, TestNetworks.Samples(lo, hi, 200, 41)).Min(y => y[1] - y[0]);
        var q = Query(lo, hi, c, d);
        foreach (var backend in new IExactBackend[] { new MilpBackend(), new Z3Backend() })
        {
            var o = backend.FindViolation(g, q, TimeSpan.FromMilliseconds(1));
            Assert.NotEqual(ExactStatus.Infeasible, o.Status);
        }
    }

    [Fact]
    public void Milp_refuses_huge_big_m_constants_instead_of_trusting_tolerances()
    {
        var b = new GraphBuilder(new long[] { 2 });
        int h = b.Add(new LinearOp(tensor(new[] { 1e4, -1e4, -1e4, 1e4 }, new long[] { 2, 2 }), null), "fc1", "test", 0);
        h = b.Add(new ReluOp(), "relu1", "test", h);
        h = b.Add(new LinearOp(tensor(new[] { 1e3, -1e3, -1e3, 1e3 }, new long[] { 2, 2 }), null), "fc2", "test", h);
        h = b.Add(new ReluOp(), "relu2", "test", h);
        var g = b.Build(h);
        var o = new MilpBackend().FindViolation(g, Query(new[] { -1.0, -1 }, new[] { 1.0, 1 }, new[] { -1.0, 0 }, -1e9), Limit);
        Assert.Equal(ExactStatus.Unknown, o.Status);
        Assert.Contains("big-M", o.Detail);
    }

    [Fact]
    public void Z3_rationals_are_exact_for_tiny_and_negative_weights()
    {
        // y = 1e-30·x on [0, 1] reaches 5e-31 (x = 0.5), on [0, 0.4] it does not: only exact rationals tell these apart.
        var b = new GraphBuilder(new long[] { 1 });
        int h = b.Add(new LinearOp(tensor(new[] { 1e-30 }, new long[] { 1, 1 }), tensor(new[] { 0.0 })), "fc", "test", 0);
        var g = b.Build(h);
        var sat = new Z3Backend().FindViolation(g, Query(new[] { 0.0 }, new[] { 1.0 }, new[] { -1.0 }, -5e-31), Limit);
        Assert.Equal(ExactStatus.Candidate, sat.Status);
        Assert.True(sat.X![0] >= 0.5 - 1e-12);
        var unsat = new Z3Backend().FindViolation(g, Query(new[] { 0.0 }, new[] { 0.4 }, new[] { -1.0 }, -5e-31), Limit);
        Assert.Equal(ExactStatus.Infeasible, unsat.Status);
    }
}
