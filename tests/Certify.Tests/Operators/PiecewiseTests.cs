using Certify.Graph;
using Certify.Import.Onnx.Proto;
using Certify.Operators;
using Certify.Solvers.Encoding;
using Certify.Solvers.Milp;
using Certify.Tests.Import;
using static TorchSharp.torch;
using SolverNets = Certify.Tests.Solvers.TestNetworks;

namespace Certify.Tests.Operators;

/// <summary>Abs, elementwise Max/Min of two variables, ReduceMax/ReduceMin: soundness, exact MILP encoding, ONNX import and export.</summary>
public class PiecewiseTests
{
    public static TheoryData<ScalarType> Dtypes() => new() { ScalarType.Float64, ScalarType.Float32 };

    /// <summary>Input [6] → Max or Min of its halves (three pairs).</summary>
    static ComputationGraph Halves(bool max)
    {
        var b = new GraphBuilder(new long[] { 6 });
        int a = b.Add(new SliceOp(0, 0, 3, 1), "a", "t", 0);
        int c = b.Add(new SliceOp(0, 3, 6, 1), "b", "t", 0);
        return b.Build(b.Add(max ? new MaxOp() : new MinOp(), "op", "t", a, c));
    }

    /// <summary>Input [3] → two Linear maps (correlated operands) → Max/Min → Linear.</summary>
    static ComputationGraph Correlated(bool max, int seed)
    {
        var g = manual_seed(seed);
        var b = new GraphBuilder(new long[] { 3 });
        int a = b.Add(new LinearOp(randn(new long[] { 4, 3 }, ScalarType.Float64, generator: g), randn(new long[] { 4 }, ScalarType.Float64, generator: g) * 0.3), "fa", "t", 0);
        int c = b.Add(new LinearOp(randn(new long[] { 4, 3 }, ScalarType.Float64, generator: g), randn(new long[] { 4 }, ScalarType.Float64, generator: g) * 0.3), "fb", "t", 0);
        int m = b.Add(max ? new MaxOp() : new MinOp(), "op", "t", a, c);
        return b.Build(b.Add(new LinearOp(randn(new long[] { 2, 4 }, ScalarType.Float64, generator: g), null), "out", "t", m));
    }

    /// <summary>Input of <paramref name="shape"/> → ReduceMax/ReduceMin over <paramref name="axes"/>.</summary>
    static ComputationGraph Reduction(bool max, long[] shape, long[] axes, bool keep)
    {
        var b = new GraphBuilder(shape);
        return b.Build(b.Add(max ? new ReduceMaxOp(axes, keep) : new ReduceMinOp(axes, keep), "op", "t", 0));
    }

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void Abs_bounds_contain_every_sampled_point(ScalarType dtype)
    {
        var (l, u) = OperatorChecks.Boxes(5, 12, 3, -4, 4, 3, 0.0, 1e-9, -1e-9);
        OperatorChecks.AssertSound(OperatorChecks.Single(new AbsOp(), 5), l, u, dtype, 4);
        for (int seed = 0; seed < 3; seed++)
        {
            var (dl, du) = OperatorChecks.Boxes(3, 6, 10 + seed, -1, 1, 0.6);
            OperatorChecks.AssertSound(OperatorChecks.Deep(() => new AbsOp(), 20 + seed), dl, du, dtype, 30 + seed);
        }
    }

    [Theory]
    [InlineData(true, ScalarType.Float64)]
    [InlineData(true, ScalarType.Float32)]
    [InlineData(false, ScalarType.Float64)]
    [InlineData(false, ScalarType.Float32)]
    public void Max_and_min_of_two_variables_contain_every_sampled_point(bool max, ScalarType dtype)
    {
        // Boxes of every kind: one operand dominating, overlapping, degenerate, equal.
        var (l, u) = OperatorChecks.Boxes(6, 16, 5, -2, 2, 1.5, 0.0, 1.0);
        OperatorChecks.AssertSound(Halves(max), l, u, dtype, 6, forward: false);   // Slice has no forward rule
        for (int seed = 0; seed < 3; seed++)
        {
            var (dl, du) = OperatorChecks.Boxes(3, 6, 40 + seed, -1, 1, 0.6);
            OperatorChecks.AssertSound(Correlated(max, 50 + seed), dl, du, dtype, 60 + seed);
        }
    }

    public static TheoryData<bool, long[], long[], bool, ScalarType> Reductions()
    {
        var d = new TheoryData<bool, long[], long[], bool, ScalarType>();
        foreach (var max in new[] { true, false })
            foreach (var dt in new[] { ScalarType.Float64, ScalarType.Float32 })
            {
                // Six elements: every corner of each box is sampled too (the chord of two candidates is tight at corners).
                d.Add(max, new long[] { 2, 3 }, new long[] { 1 }, false, dt);
                d.Add(max, new long[] { 2, 3 }, new long[] { 0 }, true, dt);
                d.Add(max, new long[] { 2, 3 }, new long[] { 0, 1 }, false, dt);
                d.Add(max, new long[] { 2, 3, 4 }, new long[] { 0, 2 }, false, dt);
                d.Add(max, new long[] { 2, 3, 4 }, new long[] { 1 }, true, dt);
            }
        return d;
    }

    [Theory]
    [MemberData(nameof(Reductions))]
    public void Reduce_max_and_min_contain_every_sampled_point(bool max, long[] shape, long[] axes, bool keep, ScalarType dtype)
    {
        // Small radii give groups with one, two and many candidates.
        long n = shape.Aggregate(1L, (a, b) => a * b);
        foreach (var radius in new[] { 0.05, 0.3, 2.0 })
        {
            var (l, u) = OperatorChecks.Boxes(n, 8, 7, -1, 1, radius);
            OperatorChecks.AssertSound(Reduction(max, shape, axes, keep), l, u, dtype, 8, samples: 300);
        }
    }

    [Fact]
    public void Reduce_max_with_one_or_two_candidates_is_tighter_than_its_interval()
    {
        // Two candidates, x0 ∈ [0, 1], x1 ∈ [0.5, 1.5], x2 ∈ [−3, −2] never the max; row max − x1 ≥ ... : CROWN keeps the correlation.
        var b = new GraphBuilder(new long[] { 3 });
        int m = b.Add(new ReduceMaxOp(new long[] { 0 }, false), "max", "t", 0);
        int x1 = b.Add(new SliceOp(0, 1, 2, 1), "x1", "t", 0);
        int neg = b.Add(new AffineOp(tensor(-1.0), null), "neg", "t", x1);
        var g = b.Build(b.Add(new AddOp(), "diff", "t", m, neg));
        var l = tensor(new[] { 0.0, 0.5, -3 }).unsqueeze(0); var u = tensor(new[] { 1.0, 1.5, -2 }).unsqueeze(0);
        using var ibp = new Certify.Bounds.BoundEngine(g, new() { Method = Certify.Bounds.BoundMethod.Ibp, DType = ScalarType.Float64 }).Compute(l, u);
        using var crown = new Certify.Bounds.BoundEngine(g, new() { Method = Certify.Bounds.BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(l, u);
        // max(x0, x1) − x1 ∈ [0, 0.5]; IBP gives [0.5 − 1.5, 1.5 − 0.5] = [−1, 1].
        Assert.True(crown.Lower.item<double>() >= -1e-9, $"CROWN lower {crown.Lower.item<double>()}");
        Assert.True(crown.Upper.item<double>() < ibp.Upper.item<double>() - 0.2, $"CROWN upper {crown.Upper.item<double>()} vs IBP {ibp.Upper.item<double>()}");
    }

    // ---- exact encoding ------------------------------------------------------------------------------------------

    /// <summary>Input [6] → Abs, Max/Min of halves, ReduceMax/ReduceMin of the results → Linear.</summary>
    static ComputationGraph PiecewiseNet(int seed)
    {
        var g = manual_seed(seed);
        var b = new GraphBuilder(new long[] { 6 });
        int h = b.Add(new LinearOp(randn(new long[] { 8, 6 }, ScalarType.Float64, generator: g), randn(new long[] { 8 }, ScalarType.Float64, generator: g) * 0.3), "fc", "t", 0);
        int abs = b.Add(new AbsOp(), "abs", "t", h);
        int p = b.Add(new SliceOp(0, 0, 4, 1), "p", "t", h);
        int q = b.Add(new SliceOp(0, 4, 8, 1), "q", "t", abs);
        int mx = b.Add(new MaxOp(), "max", "t", p, q);
        int mn = b.Add(new MinOp(), "min", "t", p, q);
        int cat = b.Add(new ConcatOp(0), "cat", "t", mx, mn);
        int grid = b.Add(new ReshapeOp(new long[] { 2, 4 }), "grid", "t", cat);
        int rmax = b.Add(new ReduceMaxOp(new long[] { 1 }, false), "rmax", "t", grid);
        int rmin = b.Add(new ReduceMinOp(new long[] { 0 }, true), "rmin", "t", grid);
        int flat = b.Add(new ReshapeOp(new long[] { 4 }), "flat", "t", rmin);
        int both = b.Add(new ConcatOp(0), "both", "t", rmax, flat);
        return b.Build(b.Add(new LinearOp(randn(new long[] { 2, 6 }, ScalarType.Float64, generator: g), null), "out", "t", both));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Milp_encoding_is_exact_and_its_maximum_bounds_every_sample(int seed)
    {
        var g = PiecewiseNet(seed);
        var lo = Enumerable.Repeat(-1.0, 6).ToArray(); var hi = Enumerable.Repeat(1.0, 6).ToArray();
        var enc = GraphEncoder.Encode(g, lo, hi);
        Assert.NotEmpty(enc.Model.Relus);
        Assert.NotEmpty(enc.Model.Maxes);
        foreach (var x in SolverNets.Samples(lo, hi, 200, seed))
        {
            var expected = SolverNets.Forward(g, x);
            var got = SolverNets.EvaluateModel(enc.Model, x);
            for (int j = 0; j < expected.Length; j++) Assert.Equal(expected[j], got[j], 9);
        }
        var opt = new MilpBackend().Optimize(g, lo, hi, new[] { 1.0, 0 }, maximize: true, WorkBudgets.HangGuard);
        Assert.Equal(OptimumStatus.Optimal, opt.Status);
        Assert.Equal(opt.Value, SolverNets.Forward(g, opt.X!)[0], 4);
        var sampled = SolverNets.ForwardBatch(g, SolverNets.Samples(lo, hi, 3000, seed)).Max(y => y[0]);
        Assert.True(sampled <= opt.Value + 1e-6, $"sampled max {sampled} exceeds the MILP max {opt.Value}");
    }

    // ---- ONNX ----------------------------------------------------------------------------------------------------

    [Fact]
    public void Abs_max_and_min_models_agree_with_onnx_runtime_and_round_trip()
    {
        // y = concat(abs(x), max(x, z), min(x, z, c), max(x, c)) with x, z [1, 3] and a per-element constant c [3].
        var bytes = new OnnxTestModel(new long[] { 1, 3 }).Input("z", new long[] { 1, 3 })
            .Init("c", new float[] { 0.25f, -0.5f, 0 }, 3)
            .Node("Abs", "abs", new[] { "x" }, "a")
            .Node("Max", "max", new[] { "x", "z" }, "m")
            .Node("Min", "min", new[] { "x", "z", "c" }, "n")
            .Node("Max", "maxc", new[] { "x", "c" }, "k")
            .Node("Concat", "cat", new[] { "a", "m", "n", "k" }, "y", OnnxTestModel.Int("axis", 1))
            .Bytes("y", new long[] { 1, 12 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1);
        Assert.Contains(g.Nodes, n => n.Op is AbsOp);
        Assert.Contains(g.Nodes, n => n.Op is MaxOp);
        Assert.Contains(g.Nodes, n => n.Op is MinOp);
        OperatorChecks.AssertExportRoundTrip(g, -1, 1);
        var (l, u) = OperatorChecks.Boxes(6, 4, 9, -1, 1, 0.8);
        OperatorChecks.AssertSound(g.To(ScalarType.Float64), l, u, ScalarType.Float64, 10, forward: false);
    }

    [Theory]
    [InlineData("ReduceMax", 13)]
    [InlineData("ReduceMin", 13)]
    [InlineData("ReduceMax", 18)]
    [InlineData("ReduceMin", 18)]
    public void Reduce_max_and_min_models_agree_with_onnx_runtime_and_round_trip(string op, long opset)
    {
        var m = new OnnxTestModel(new long[] { 1, 2, 3, 4 }, opset: opset);
        if (opset >= 18) m.InitInts("axes", new long[] { -1, 1 }, 2).Node(op, "r", new[] { "x", "axes" }, "y", OnnxTestModel.Int("keepdims", 0));
        else m.Node(op, "r", new[] { "x" }, "y", new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { -1, 1 } }, OnnxTestModel.Int("keepdims", 0));
        var g = OperatorChecks.AssertAgreesWithOrt(m.Bytes("y", new long[] { 1, 3 }), -1, 1);
        Assert.Equal(new long[] { 3 }, g.OutputShape);
        OperatorChecks.AssertExportRoundTrip(g, -1, 1);
    }

    [Fact]
    public void Constant_abs_max_min_and_reductions_fold()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 2 })
            .Init("c", new float[] { -2, 3, 1, -4 }, 2, 2)
            .Node("ReduceMax", "rmax", new[] { "c" }, "cm", new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0 } }, OnnxTestModel.Int("keepdims", 1))
            .Node("ReduceMin", "rmin", new[] { "c" }, "cn", new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0 } }, OnnxTestModel.Int("keepdims", 1))
            .Node("Abs", "abs", new[] { "cn" }, "ca")
            .Node("Add", "a1", new[] { "x", "cm" }, "t")
            .Node("Add", "a2", new[] { "t", "ca" }, "y")
            .Bytes("y", new long[] { 1, 2 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1);
        Assert.All(g.Nodes.Skip(1), n => Assert.True(n.Op.IsAffine, $"node {n} was not folded"));
    }
}
