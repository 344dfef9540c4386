using Certify.Bounds;
using Certify.Graph;
using Certify.Operators;
using Certify.Spec;
using Certify.Tests.Bounds;
using Certify.Verification;
using Certify.Verification.Search;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Search;

/// <summary>
/// ReLU-splitting branch and bound with beta-CROWN against known truth: small ReLU networks whose row minimum over the
/// box is bracketed by a dense grid (as in <see cref="BranchAndBoundTests"/>), and labelled MNIST instances.
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class BetaBranchAndBoundTests(ITestOutputHelper output)
{
    const int Grid = 400;

    sealed record Case(ComputationGraph Graph, double[] C, double GridMin, double TrueMinAtLeast, double GridMax);

    /// <summary>A 2-input ReLU network on [-1, 1]², a row c, and the grid bracket of min c·y.</summary>
    static Case MakeCase(int seed)
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
        return new Case(graph, c.data<double>().ToArray(), min, min - lipschitz * halfDiagonal, values.max().item<double>());
    }

    static Specification Spec(double[] c, double d) =>
        new(new[] { new InputRegion(new[] { -1.0, -1.0 }, new[] { 1.0, 1.0 }, new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(c, d) }) })) }, 2, 3);

    [Fact]
    public void Relu_splitting_with_beta_crown_proves_what_crown_cannot_and_finds_real_counterexamples()
    {
        int provenBeyondCrown = 0, betaProven = 0, crownSplitProven = 0;
        for (int seed = 1; seed <= 4; seed++)
        {
            var k = MakeCase(seed);
            // Unsafe when c·y ≤ d, with d just below the certified minimum: the property holds.
            double d = k.TrueMinAtLeast - 1e-3;
            var unsat = Spec(k.C, d);
            double root;
            using (var r = new BoundEngine(k.Graph, new BoundOptions { DType = ScalarType.Float64 }).Compute(unsat.Regions[0])) root = r.Lower[0, 0].item<double>();
            var options = new BabOptions { Strategy = SplitStrategy.NeuronSplit, BatchSize = 64, MaxDomains = 400 };
            var beta = new BranchAndBound(k.Graph, options);
            Assert.Equal(BoundMethod.BetaCrown, beta.Method);
            var rb = beta.Run(unsat);
            var rc = new BranchAndBound(k.Graph, options with { Method = BoundMethod.Crown }).Run(unsat);
            output.WriteLine($"seed {seed}: root CROWN {root:0.0000}, d {d:0.0000}; beta-CROWN {rb.Status} {rb.Statistics}; CROWN (clipping only) {rc.Status} {rc.Statistics}");
            Assert.NotEqual(BabStatus.Candidate, rb.Status);          // never a wrong answer
            Assert.NotEqual(BabStatus.Candidate, rc.Status);
            if (rb.Verified) betaProven++;
            if (rc.Verified) crownSplitProven++;
            if (rb.Verified && root < d) provenBeyondCrown++;

            // Unsafe when c·y ≤ d with d above the grid minimum: a grid point violates it. (ReLU splitting looks for
            // candidates only at box centres and bound minimisers, so the violating set is not made tiny.)
            var sat = Spec(k.C, k.GridMin + 0.1 * (k.GridMax - k.GridMin));
            var rs = new BranchAndBound(k.Graph, options with { MaxDomains = 10_000 }).Run(sat);
            output.WriteLine($"seed {seed} sat: {rs.Status} {rs.Statistics}");
            Assert.NotEqual(BabStatus.Verified, rs.Status);          // never a wrong answer
            Assert.Equal(BabStatus.Candidate, rs.Status);
            var y = k.Graph.Forward(tensor(rs.Candidate!.Input).unsqueeze(0)).flatten().data<double>().ToArray();
            Assert.True(sat.Regions[0].Contains(rs.Candidate.Input) && sat.Regions[0].Unsafe.HoldsAt(y, 1e-5), "the candidate is not a real violation");
        }
        output.WriteLine($"proven: beta-CROWN {betaProven}, CROWN with clipping {crownSplitProven}, beyond root CROWN {provenBeyondCrown}");
        Assert.True(provenBeyondCrown >= 2, $"beta-CROWN branch and bound proved only {provenBeyondCrown} of 4 properties that root CROWN cannot");
        Assert.True(betaProven >= crownSplitProven, $"beta-CROWN proved {betaProven}, fewer than clipping alone ({crownSplitProven}) with the same domain budget");
    }

    /// <summary>
    /// Labelled mnist_fc_2021 instances (256x2, eps 0.03) keep getting no wrong answer with the default (beta-CROWN) search.
    /// The budget is work (one attack round, at most 2,000 sub-domains, no MILP; prop_9 needs 13), not the 20 s run and
    /// 2 s attack it had: no verdict here depended on the time, but how far the search got did.
    /// </summary>
    [SkippableTheory]
    [InlineData("prop_7_0.03.vnnlib")]
    [InlineData("prop_9_0.03.vnnlib")]
    [InlineData("prop_2_0.03.vnnlib")]
    public void Labelled_mnist_instances_get_no_wrong_answer(string vnnlib)
    {
        var bench = TestPaths.RequireBench();
        var key = "mnist_fc_2021/vnnlib/" + vnnlib;
        var label = File.ReadLines(Path.Combine(bench, "sets", "labelled.csv")).Select(l => l.Split(','))
            .First(p => p.Length > 4 && p[1] == "mnist_fc_2021/onnx/mnist-net_256x2.onnx" && p[2] == key)[4];
        var dir = Path.Combine(bench, "mnist_fc_2021");
        var report = Verifier.Verify(Path.Combine(dir, "onnx", "mnist-net_256x2.onnx"), Path.Combine(dir, "vnnlib", vnnlib),
            WorkBudgets.Verifier(maxDomains: 2_000));
        output.WriteLine($"{vnnlib} ({label}): {report.Verdict} in {report.Elapsed.TotalSeconds:F1} s\n  " + string.Join("\n  ", report.Steps));
        if (label == "unsat") Assert.NotEqual(VerdictKind.Sat, report.Verdict.Kind);
        if (label == "sat") Assert.NotEqual(VerdictKind.Unsat, report.Verdict.Kind);
    }
}
