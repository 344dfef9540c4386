using Certify.Bounds;
using Certify.Graph;
using Certify.Operators;
using Certify.Tests.Import;
using static TorchSharp.torch;

namespace Certify.Tests.Operators;

/// <summary>Exp, Log, Sqrt, Softplus and Reciprocal: soundness by brute force, domain refusals, ONNX import and export.</summary>
public class ExponentialTests
{
    /// <summary>Per op: its factory, the range of the direct boxes, their largest radius, points some boxes end at, and the Deep network's shift and scale.</summary>
    sealed record Case(Func<Op> Make, double Lo, double Hi, double Radius, double[] Pinned, double Shift, double Scale);

    static readonly Dictionary<string, Case> Cases = new()
    {
        ["Exp"] = new(() => new ExpOp(), -6, 6, 3, new[] { 0.0 }, 0, 1),
        ["Log"] = new(() => new LogOp(), 1e-4, 20, 5, new[] { 1e-6, 1.0 }, 5, 0.4),
        ["Sqrt"] = new(() => new SqrtOp(), 0, 20, 5, new[] { 0.0, 1e-8 }, 5, 0.4),
        ["Softplus"] = new(() => new SoftplusOp(), -40, 40, 15, new[] { 0.0, 20.0 }, 0, 1),
        ["ReciprocalPositive"] = new(() => new ReciprocalOp(), 1e-3, 10, 3, new[] { 1e-3, 1.0 }, 4, 0.4),
        ["ReciprocalNegative"] = new(() => new ReciprocalOp(), -10, -1e-3, 3, new[] { -1e-3, -1.0 }, -4, 0.4),
    };

    public static TheoryData<string, ScalarType> CaseNames()
    {
        var d = new TheoryData<string, ScalarType>();
        foreach (var k in Cases.Keys) { d.Add(k, ScalarType.Float64); d.Add(k, ScalarType.Float32); }
        return d;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Bounds_of_the_op_alone_contain_every_sampled_point(string name, ScalarType dtype)
    {
        var c = Cases[name];
        var (l, u) = OperatorChecks.Boxes(5, 12, 11, c.Lo, c.Hi, c.Radius, c.Pinned);
        OperatorChecks.AssertSound(OperatorChecks.Single(c.Make(), 5), l, u, dtype, 3);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Bounds_through_linear_layers_contain_every_sampled_point(string name, ScalarType dtype)
    {
        var c = Cases[name];
        for (int seed = 0; seed < 3; seed++)
        {
            var (l, u) = OperatorChecks.Boxes(3, 6, 20 + seed, -1, 1, 0.5);
            OperatorChecks.AssertSound(OperatorChecks.Deep(c.Make, 30 + seed, c.Shift, c.Scale), l, u, dtype, 40 + seed);
        }
    }

    [Fact]
    public void Crown_is_tighter_than_ibp_through_a_curved_op()
    {
        // Two opposite paths through exp: IBP loses the correlation, CROWN keeps it (the lines are close on a narrow box).
        var b = new GraphBuilder(new long[] { 2 });
        int h = b.Add(new Certify.Operators.LinearOp(tensor(new double[,] { { 1, 1 }, { 1, -1 } }), null), "fc1", "t", 0);
        int e = b.Add(new ExpOp(), "exp", "t", h);
        int y = b.Add(new Certify.Operators.LinearOp(tensor(new double[,] { { 1, -1 } }), null), "fc2", "t", e);
        var g = b.Build(y);
        var l = tensor(new double[] { 0.2, 0.1 }).unsqueeze(0); var u = tensor(new double[] { 0.4, 0.3 }).unsqueeze(0);
        using var ibp = new BoundEngine(g, new BoundOptions { Method = BoundMethod.Ibp, DType = ScalarType.Float64 }).Compute(l, u);
        using var crown = new BoundEngine(g, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(l, u);
        double wi = (ibp.Upper - ibp.Lower).item<double>(), wc = (crown.Upper - crown.Lower).item<double>();
        Assert.True(wc < 0.8 * wi, $"CROWN width {wc} is not clearly below IBP's {wi}");
    }

    [Theory]
    [InlineData(-1.0, 1.0)]
    [InlineData(0.0, 1.0)]
    [InlineData(-1.0, 0.0)]
    [InlineData(0.0, 0.0)]
    public void A_divisor_interval_containing_zero_is_refused_with_its_node_and_bounds(double lo, double hi)
    {
        var g = OperatorChecks.Single(new ReciprocalOp(), 3);
        var l = tensor(new[] { 1.0, lo, 2.0 }).unsqueeze(0); var u = tensor(new[] { 2.0, hi, 3.0 }).unsqueeze(0);
        foreach (var m in OperatorChecks.Methods)
        {
            var e = Assert.Throws<OperatorDomainException>(() => new BoundEngine(g, new BoundOptions { Method = m, DType = ScalarType.Float64 }).Compute(l, u));
            Assert.Contains("node 'op' (Reciprocal", e.Message);
            Assert.Contains("element 1 of sub-problem 0", e.Message);
            Assert.Contains("contains 0", e.Message);
        }
    }

    [Fact]
    public void Log_and_sqrt_refuse_inputs_outside_their_domain_and_exp_refuses_overflow()
    {
        var one = tensor(new[] { -0.5 }).unsqueeze(0); var two = tensor(new[] { 1.0 }).unsqueeze(0);
        var log = Assert.Throws<OperatorDomainException>(() => new BoundEngine(OperatorChecks.Single(new LogOp(), 1), new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(zeros(1, 1, dtype: ScalarType.Float64), two));
        Assert.Contains("logarithm", log.Message);
        var sqrt = Assert.Throws<OperatorDomainException>(() => new BoundEngine(OperatorChecks.Single(new SqrtOp(), 1), new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(one, two));
        Assert.Contains("square root", sqrt.Message);
        var exp = Assert.Throws<OperatorDomainException>(() => new BoundEngine(OperatorChecks.Single(new ExpOp(), 1), new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float32 }).Compute(two, full(1, 1, 100.0, dtype: ScalarType.Float64)));
        Assert.Contains("overflow", exp.Message);
        // The same box is fine in float64 (e^100 ≈ 2.7e43 is finite there).
        using var ok = new BoundEngine(OperatorChecks.Single(new ExpOp(), 1), new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(two, full(1, 1, 100.0, dtype: ScalarType.Float64));
        Assert.True(ok.Upper.item<double>() >= Math.Exp(100) * (1 - 1e-12));
    }

    // ---- ONNX ----------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("Exp", -3.0, 3.0)]
    [InlineData("Log", 0.1, 5.0)]
    [InlineData("Sqrt", 0.0, 5.0)]
    [InlineData("Softplus", -30.0, 30.0)]
    [InlineData("Reciprocal", 0.2, 4.0)]
    public void Onnx_model_with_the_op_agrees_with_onnx_runtime_and_round_trips(string op, double lo, double hi)
    {
        var bytes = new OnnxTestModel(new long[] { 1, 4 }).Node(op, "n", new[] { "x" }, "y").Bytes("y", new long[] { 1, 4 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, lo, hi);
        Assert.Contains(g.Nodes, n => n.Op.Kind == op);
        OperatorChecks.AssertExportRoundTrip(g, lo, hi);
    }

    [Fact]
    public void Constant_inputs_of_the_new_ops_are_folded()
    {
        // y = x + log(c) + sqrt(c) + exp(c) + softplus(c) + 1/c + c/c: every new op on constants folds away into one Affine.
        var m = new OnnxTestModel(new long[] { 1, 2 }).Init("c", new float[] { 2, 3 }, 2);
        var names = new[] { "Log", "Sqrt", "Exp", "Softplus", "Reciprocal" };
        string acc = "x";
        foreach (var op in names)
        {
            m.Node(op, op, new[] { "c" }, op + "_c").Node("Add", "add_" + op, new[] { acc, op + "_c" }, "acc_" + op);
            acc = "acc_" + op;
        }
        m.Node("Div", "cc", new[] { "c", "c" }, "one").Node("Add", "last", new[] { acc, "one" }, "y");
        var g = OperatorChecks.AssertAgreesWithOrt(m.Bytes("y", new long[] { 1, 2 }), -1, 1);
        Assert.All(g.Nodes.Skip(1), n => Assert.True(n.Op.IsAffine, $"node {n} was not folded"));
    }
}
