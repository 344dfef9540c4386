using Certify.Bounds;
using Certify.Graph;
using Certify.Operators;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>
/// Beta-CROWN (split constraints as Lagrange multipliers): brute-force soundness on inputs that satisfy random split
/// assignments, soundness for arbitrary (not optimised) multipliers, and "never looser than alpha-CROWN, strictly tighter
/// where clipping alone is loose".
/// </summary>
[Collection(SequentialRandomCollection.Name)]
public sealed class BetaCrownTests(ITestOutputHelper output)
{
    /// <summary>
    /// A random split assignment of about <paramref name="perLayer"/> unstable neurons of every ReLU layer, each split the
    /// way a random anchor point of the box <paramref name="l"/>..<paramref name="u"/> activates it, so that a
    /// neighbourhood of the anchor satisfies every split (random signs would make most assignments infeasible).
    /// </summary>
    static Dictionary<int, Tensor> RandomSplits(ComputationGraph graph, BoundResult plain, Tensor l, Tensor u, int perLayer, Generator g)
    {
        var anchor = l + rand(l.shape, ScalarType.Float64, generator: g) * (u - l);
        var vals = graph.ForwardAll(anchor);
        var splits = new Dictionary<int, Tensor>();
        foreach (var relu in graph.Nodes.Where(n => n.Op is ReluOp))
        {
            var pre = plain.Node(relu.Inputs[0])!.Value;
            var unstable = ((pre.Lower < 0) & (pre.Upper > 0))[0].nonzero().flatten();
            var at = vals[relu.Inputs[0]].flatten();
            var s = zeros(1, relu.Size, dtype: ScalarType.Int8);
            long k = Math.Min(perLayer, unstable.shape[0]);
            var pick = randperm(unstable.shape[0], generator: g).narrow(0, 0, k);
            foreach (var i in unstable.index_select(0, pick).data<long>())
                s[0, i] = (sbyte)(at[i].item<double>() >= 0 ? 1 : -1);
            splits[relu.Id] = s;
        }
        return splits;
    }

    /// <summary>The sampled points (forward values <paramref name="vals"/>) that satisfy every split.</summary>
    static Tensor Feasible(ComputationGraph graph, IReadOnlyDictionary<int, Tensor> splits, Tensor[] vals)
    {
        Tensor ok = ones(vals[0].shape[0], dtype: ScalarType.Bool);
        foreach (var (relu, s) in splits)
        {
            var x = vals[graph.Nodes[relu].Inputs[0]].flatten(1);                 // [N, n]
            var sign = s.to_type(ScalarType.Float64).flatten();                     // [n]
            ok = ok & (x * sign).ge(0).all(1);
        }
        return ok;
    }

    [Fact]
    public void Beta_crown_bounds_contain_every_sample_that_satisfies_the_splits()
    {
        int checkedCases = 0;
        double largestBeta = 0;
        for (int seed = 0; seed < 8; seed++)
        {
            var graph = TestNetworks.Mlp(() => new ReluOp(), 300 + seed, width: 8, layers: 3, inputs: 3, outputs: 3);
            var g = manual_seed(400 + seed);
            var centre = randn(new long[] { 1, 3 }, ScalarType.Float64, generator: g) * 0.3;
            var (l, u) = (centre - 0.8, centre + 0.8);
            var c = randn(new long[] { 4, 3 }, ScalarType.Float64, generator: g);
            using var plain = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(l, u, c);
            var splits = RandomSplits(graph, plain, l, u, 2, g);
            var engine = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.BetaCrown, DType = ScalarType.Float64, AlphaIterations = 5, BetaIterations = 30 });
            using var r = engine.Compute(l, u, c, new SubproblemInputs { Splits = splits });
            Assert.False(r.Lower.isnan().any().item<bool>() || r.Upper.isnan().any().item<bool>(), "NaN bound");
            foreach (var t in r.Alphas!.BetaLowerPass.Values.Concat(r.Alphas.BetaUpperPass.Values))
                largestBeta = Math.Max(largestBeta, t.max().item<double>());
            var pts = BruteForce.Points(l, u, 40000, 500 + seed);
            long feasible;
            using (var scope = NewDisposeScope()) feasible = Feasible(graph, splits, graph.ForwardAll(pts)).sum().item<long>();
            output.WriteLine($"seed {seed}: {feasible} feasible samples; rows [{string.Join(", ", r.Lower[0].data<double>().Select(v => v.ToString("0.000")))}]");
            if (feasible < 200) continue;  // the splits cut the box too much for a meaningful check
            double v = BruteForce.MaxViolation(graph, r, pts, c, keep: vals => Feasible(graph, splits, vals));
            Assert.True(v <= 1e-9, $"seed {seed}: a feasible sample escapes a beta-CROWN bound by {v}");
            checkedCases++;
        }
        Assert.True(checkedCases >= 5, $"only {checkedCases} cases had enough feasible samples");
        Assert.True(largestBeta > 0, "no multiplier moved from zero: the test would not exercise beta");
    }

    [Fact]
    public void Any_nonnegative_multipliers_give_sound_bounds()
    {
        // Not optimised: large random betas (and random slopes) evaluated as they are. Soundness must not rely on the optimiser.
        for (int seed = 0; seed < 4; seed++)
        {
            var graph = TestNetworks.Mlp(() => new ReluOp(), 320 + seed, width: 8, layers: 2, inputs: 3, outputs: 3);
            var g = manual_seed(420 + seed);
            var (l, u) = (full(1, 3, -0.7, dtype: ScalarType.Float64), full(1, 3, 0.7, dtype: ScalarType.Float64));
            var c = randn(new long[] { 3, 3 }, ScalarType.Float64, generator: g);
            using var plain = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(l, u, c);
            var splits = RandomSplits(graph, plain, l, u, 3, g);
            var given = new AlphaState();
            foreach (var relu in graph.Nodes.Where(n => n.Op is ReluOp))
            {
                var shape = new long[] { 1, 3, relu.Size };
                given.LowerPass[relu.Id] = rand(shape, ScalarType.Float64, generator: g);
                given.UpperPass[relu.Id] = rand(shape, ScalarType.Float64, generator: g);
                given.BetaLowerPass[relu.Id] = rand(shape, ScalarType.Float64, generator: g) * 5;
                given.BetaUpperPass[relu.Id] = rand(shape, ScalarType.Float64, generator: g) * 5;
            }
            var engine = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.BetaCrown, DType = ScalarType.Float64, AlphaIterations = 0, BetaIterations = 0 });
            using var r = engine.Compute(l, u, c, new SubproblemInputs { Splits = splits, Alphas = given });
            var pts = BruteForce.Points(l, u, 30000, 520 + seed);
            using (var scope = NewDisposeScope())
                Assert.True(Feasible(graph, splits, graph.ForwardAll(pts)).sum().item<long>() >= 100, $"seed {seed}: too few feasible samples");
            double v = BruteForce.MaxViolation(graph, r, pts, c, keep: vals => Feasible(graph, splits, vals));
            Assert.True(v <= 1e-9, $"seed {seed}: random multipliers gave an unsound bound (escape {v})");
        }
    }

    [Fact]
    public void Beta_crown_is_never_looser_than_alpha_crown_with_the_same_splits()
    {
        for (int seed = 0; seed < 6; seed++)
        {
            var graph = TestNetworks.Mlp(() => new ReluOp(), 340 + seed, width: 10, layers: 3, inputs: 4, outputs: 3);
            var g = manual_seed(440 + seed);
            var (l, u) = (full(1, 4, -0.6, dtype: ScalarType.Float64), full(1, 4, 0.6, dtype: ScalarType.Float64));
            var c = randn(new long[] { 3, 3 }, ScalarType.Float64, generator: g);
            using var plain = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(l, u, c);
            var splits = RandomSplits(graph, plain, l, u, 2, g);
            var sub = new SubproblemInputs { Splits = splits };
            var options = new BoundOptions { Method = BoundMethod.AlphaCrown, DType = ScalarType.Float64, AlphaIterations = 10 };
            using var alpha = new BoundEngine(graph, options).Compute(l, u, c, sub);
            using var beta = new BoundEngine(graph, options with { Method = BoundMethod.BetaCrown, BetaIterations = 10 }).Compute(l, u, c, sub);
            output.WriteLine($"seed {seed}: lower gain {(beta.Lower - alpha.Lower).sum().item<double>():0.0000}, upper gain {(alpha.Upper - beta.Upper).sum().item<double>():0.0000}");
            Assert.True((beta.Lower >= alpha.Lower).all().item<bool>(), $"seed {seed}: a beta-CROWN lower bound is below alpha-CROWN's");
            Assert.True((beta.Upper <= alpha.Upper).all().item<bool>(), $"seed {seed}: a beta-CROWN upper bound is above alpha-CROWN's");
        }
    }

    /// <summary>
    /// x ∈ [−1, 1]; z1 = x, z2 = −x; y = −relu(z2). With z1 split active (x ≥ 0) the true minimum of y is 0. Clipping only
    /// makes z1's relaxation exact; z2's bounds come from the box and stay [−1, 1], so CROWN and alpha-CROWN bound
    /// −relu(z2) ≥ −(z2 + 1)/2 = (x − 1)/2 and reach −1 at x = −1, outside the split region. The multiplier of x ≥ 0 adds
    /// −beta·x: at beta = 1/2 the bound is −1/2 for every x. Beta-CROWN must get close to it.
    /// </summary>
    [Fact]
    public void Beta_crown_is_strictly_tighter_where_clipping_alone_is_loose()
    {
        var b = new GraphBuilder(new long[] { 1 });
        int h = b.Add(new LinearOp(tensor(new double[,] { { 1 }, { -1 } }), zeros(2, dtype: ScalarType.Float64)), "fc1", "t", 0);
        int relu = b.Add(new ReluOp(), "relu", "t", h);
        int y = b.Add(new LinearOp(tensor(new double[,] { { 0, -1 } }), zeros(1, dtype: ScalarType.Float64)), "fc2", "t", relu);
        var graph = b.Build(y);
        var (l, u) = (full(1, 1, -1.0, dtype: ScalarType.Float64), full(1, 1, 1.0, dtype: ScalarType.Float64));
        var sub = new SubproblemInputs { Splits = new Dictionary<int, Tensor> { [relu] = tensor(new sbyte[,] { { 1, 0 } }) } };
        var options = new BoundOptions { Method = BoundMethod.AlphaCrown, DType = ScalarType.Float64, AlphaIterations = 20 };
        using var alpha = new BoundEngine(graph, options).Compute(l, u, null, sub);
        using var beta = new BoundEngine(graph, options with { Method = BoundMethod.BetaCrown, BetaIterations = 40, BetaLearningRate = 0.05 }).Compute(l, u, null, sub);
        double a = alpha.Lower[0, 0].item<double>(), bt = beta.Lower[0, 0].item<double>();
        output.WriteLine($"alpha-CROWN {a}, beta-CROWN {bt}");
        Assert.True(Math.Abs(a + 1) < 1e-9, $"alpha-CROWN was expected at -1 here, got {a}");
        Assert.True(bt > -0.55, $"beta-CROWN {bt} is not clearly tighter than alpha-CROWN {a}");
        Assert.True(bt <= 1e-9, $"beta-CROWN {bt} is above the true minimum 0");
    }
}
