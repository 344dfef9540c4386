using Certify.Bounds;
using Certify.Graph;
using Certify.Operators;
using Certify.Spec;
using Certify.Tests.Bounds;
using Certify.Verification.Search;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Search;

/// <summary>
/// The root stage's bounds handed to the main search (<see cref="RootBounds"/>): on instances that alpha-CROWN on the
/// root cannot prove but neuron splitting can, the search that starts from the root stage's result makes exactly one
/// engine call fewer (the root's), reaches the same verdict over the same sub-problems, and counts the root as reused;
/// and early stop in branch and bound lowers the work counter (row passes) without changing a verdict. Truth comes from a
/// dense grid (the property holds with margin) and from real counterexamples.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class RootHandOffTests(ITestOutputHelper output)
{
    const int Grid = 300;

    /// <summary>A 2-input ReLU network on [-1, 1]², a row c, and a certified lower bound on min c·y (grid minus Lipschitz slack).</summary>
    static (ComputationGraph Graph, double[] C, double MinAtLeast, double GridMin, double GridMax) MakeCase(int seed)
    {
        var graph = TestNetworks.Mlp(() => new ReluOp(), seed, width: 12, layers: 2, inputs: 2, outputs: 3);
        using var scope = NewDisposeScope();
        var g = manual_seed(seed + 2000);
        var c = randn(new long[] { 3 }, ScalarType.Float64, generator: g);
        var axis = linspace(-1, 1, Grid, dtype: ScalarType.Float64);
        var xs = stack(new[] { axis.repeat_interleave(Grid), axis.repeat(Grid) }, 1);
        var values = matmul(graph.Forward(xs), c);
        double lipschitz = c.norm().item<double>();
        foreach (var n in graph.Nodes) if (n.Op is LinearOp lin) lipschitz *= lin.Weight.norm().item<double>();
        double halfDiagonal = Math.Sqrt(2) * (2.0 / (Grid - 1)) / 2;
        double min = values.min().item<double>();
        return (graph, c.data<double>().ToArray(), min - lipschitz * halfDiagonal, min, values.max().item<double>());
    }

    static Specification Spec(double[] c, double d) =>
        new(new[] { new InputRegion(new[] { -1.0, -1.0 }, new[] { 1.0, 1.0 }, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(c, d) }) })) }, 2, 3);

    /// <summary>The verifier's root stage in small: alpha-CROWN on the root as a run held to one sub-problem.</summary>
    static BabResult RootStage(ComputationGraph graph, BabOptions main, Specification spec, RootBounds keep) =>
        new BranchAndBound(graph, main with { Strategy = SplitStrategy.InputSplit, Method = BoundMethod.AlphaCrown, MaxDomains = 1 })
            .Run(spec.Regions[0], Deadline.None, 0, keep);

    [Fact]
    public void The_main_search_starts_from_the_root_stage_bounds_one_engine_call_fewer_same_verdict()
    {
        int handed = 0, decided = 0;
        for (int seed = 1; seed <= 4; seed++)
        {
            var k = MakeCase(seed);
            var options = new BabOptions { Strategy = SplitStrategy.NeuronSplit, BatchSize = 64, MaxDomains = 2000 };
            foreach (var (d, holds) in new[] { (k.MinAtLeast - 1e-3, true), (k.GridMin + 0.1 * (k.GridMax - k.GridMin), false) })
            {
                var spec = Spec(k.C, d);
                using var roots = new RootBounds();
                var root = RootStage(k.Graph, options, spec, roots);
                if (root.Status != BabStatus.DomainLimit) continue;      // the root stage decided it: nothing to hand over
                Assert.Equal(new[] { 0 }, roots.Regions);
                var fresh = new BranchAndBound(k.Graph, options).Run(spec, Deadline.None);
                var resumed = new BranchAndBound(k.Graph, options).Run(spec, Deadline.None, roots);
                output.WriteLine($"seed {seed} ({(holds ? "holds" : "violated")}): fresh {fresh.Status} {fresh.Statistics}; from the root stage {resumed.Status} {resumed.Statistics}");
                Assert.Empty(roots.Regions);                              // taken over by the search
                Assert.Equal(fresh.Status, resumed.Status);
                Assert.NotEqual(holds ? BabStatus.Candidate : BabStatus.Verified, resumed.Status);   // never against the grid's truth
                if (resumed.Status is BabStatus.Verified or BabStatus.Candidate) decided++;
                Assert.Equal(1, resumed.Statistics.RootsReused);
                Assert.Equal(0, fresh.Statistics.RootsReused);
                Assert.Equal(fresh.Statistics.DomainsBounded, resumed.Statistics.DomainsBounded);
                Assert.Equal(fresh.Statistics.EngineCalls - 1, resumed.Statistics.EngineCalls);
                Assert.True(resumed.Statistics.RowPasses < fresh.Statistics.RowPasses);
                handed++;
            }
        }
        Assert.True(handed >= 3 && decided >= 3, $"only {handed} instances left the root unproven and {decided} were decided: the test exercises too little");
    }

    [Fact]
    public void A_root_kept_by_crown_is_not_used_by_a_beta_crown_search_nor_by_another_graph()
    {
        var k = MakeCase(1);
        var other = MakeCase(2);
        var options = new BabOptions { Strategy = SplitStrategy.NeuronSplit, BatchSize = 64, MaxDomains = 400 };
        var spec = Spec(k.C, k.MinAtLeast - 1e-3);
        using var roots = new RootBounds();
        var root = new BranchAndBound(k.Graph, options with { Strategy = SplitStrategy.InputSplit, Method = BoundMethod.Crown, MaxDomains = 1 })
            .Run(spec.Regions[0], Deadline.None, 0, roots);
        Assert.Equal(BabStatus.DomainLimit, root.Status);
        var r = new BranchAndBound(k.Graph, options).Run(spec, Deadline.None, roots);
        Assert.Equal(0, r.Statistics.RootsReused);                    // CROWN's root is weaker than beta-CROWN's
        var o = new BranchAndBound(other.Graph, options with { Method = BoundMethod.Crown }).Run(Spec(other.C, other.MinAtLeast - 1e-3), Deadline.None, roots);
        Assert.Equal(0, o.Statistics.RootsReused);                    // another network's root
        Assert.Equal(BabStatus.Verified, r.Status);
    }

    [Fact]
    public void Early_stop_in_branch_and_bound_lowers_the_row_passes_and_keeps_every_verdict()
    {
        long passesOn = 0, passesOff = 0;
        int decided = 0;
        for (int seed = 1; seed <= 4; seed++)
        {
            var k = MakeCase(seed);
            var on = new BabOptions { Strategy = SplitStrategy.NeuronSplit, BatchSize = 64, MaxDomains = 400, AlphaIterations = 20, BetaIterations = 20 };
            var off = on with { EarlyStopWindow = 0, EarlyStopWhenProved = false };
            foreach (var (d, holds) in new[] { (k.MinAtLeast - 1e-3, true), (k.GridMin + 0.1 * (k.GridMax - k.GridMin), false) })
            {
                var spec = Spec(k.C, d);
                var a = new BranchAndBound(k.Graph, on).Run(spec, Deadline.None);
                var b = new BranchAndBound(k.Graph, off).Run(spec, Deadline.None);
                output.WriteLine($"seed {seed} ({(holds ? "holds" : "violated")}): early stop {a.Status} {a.Statistics}; without {b.Status} {b.Statistics}");
                var wrong = holds ? BabStatus.Candidate : BabStatus.Verified;   // never against the grid's truth
                Assert.NotEqual(wrong, a.Status);
                Assert.NotEqual(wrong, b.Status);
                if (b.Status is BabStatus.Verified or BabStatus.Candidate)
                {
                    Assert.Equal(b.Status, a.Status);   // what the full optimisation decides in the budget, early stop decides too
                    decided++;
                }
                passesOn += a.Statistics.RowPasses; passesOff += b.Statistics.RowPasses;
            }
        }
        output.WriteLine($"row passes: {passesOn} with early stop, {passesOff} without");
        Assert.True(decided >= 5, $"only {decided} of 8 instances were decided: the test exercises too little");
        Assert.True(passesOn < passesOff, $"early stop did not lower the work: {passesOn} row passes against {passesOff}");
    }
}
