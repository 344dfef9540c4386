using Certify.Bounds;
using Certify.Graph;
using Certify.Import;
using Certify.Import.Onnx.Proto;
using Certify.Operators;
using Certify.Tests.Import;
using Google.Protobuf;
using static TorchSharp.torch;

namespace Certify.Tests.Operators;

/// <summary>Atan, Erf and GELU: soundness by brute force, tightness where it is known, ONNX import and export.</summary>
public class SmoothTests
{
    static readonly Dictionary<string, Func<Op>> Ops = new()
    {
        ["Atan"] = () => new AtanOp(),
        ["Erf"] = () => new ErfOp(),
        ["Gelu"] = () => new GeluOp(),
    };

    public static TheoryData<string, ScalarType> Cases()
    {
        var d = new TheoryData<string, ScalarType>();
        foreach (var k in Ops.Keys) { d.Add(k, ScalarType.Float64); d.Add(k, ScalarType.Float32); }
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bounds_of_the_op_alone_contain_every_sampled_point(string name, ScalarType dtype)
    {
        // Pinned: the inflection point 0, GELU's minimum and its curvature changes at ±√2.
        var (l, u) = OperatorChecks.Boxes(5, 16, 13, -6, 6, 4, 0.0, GeluOp.MinimumPoint, Math.Sqrt(2), -Math.Sqrt(2));
        OperatorChecks.AssertSound(OperatorChecks.Single(Ops[name](), 5), l, u, dtype, 14);
        var (nl, nu) = OperatorChecks.Boxes(5, 8, 15, -1.5, 1.5, 0.2);
        OperatorChecks.AssertSound(OperatorChecks.Single(Ops[name](), 5), nl, nu, dtype, 16);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bounds_through_linear_layers_contain_every_sampled_point(string name, ScalarType dtype)
    {
        for (int seed = 0; seed < 3; seed++)
        {
            var (l, u) = OperatorChecks.Boxes(3, 6, 60 + seed, -1, 1, 0.6);
            OperatorChecks.AssertSound(OperatorChecks.Deep(Ops[name], 70 + seed, 0, 1.5), l, u, dtype, 80 + seed);
        }
    }

    [Fact]
    public void Gelu_interval_bounds_are_the_exact_range()
    {
        var l = tensor(new[] { -3.0, -1.0, 0.5, -5.0, -0.2 }).unsqueeze(0);
        var u = tensor(new[] { -2.0, 1.0, 2.0, -0.9, 0.3 }).unsqueeze(0);
        using var r = new BoundEngine(OperatorChecks.Single(new GeluOp(), 5), new BoundOptions { Method = BoundMethod.Ibp, DType = ScalarType.Float64 }).Compute(l, u);
        var pts = linspace(0, 1, 20001, dtype: ScalarType.Float64).unsqueeze(1);
        var xs = l + pts * (u - l);
        var ys = GeluOp.Of(xs);
        var lo = ys.amin(new long[] { 0 }); var hi = ys.amax(new long[] { 0 });
        // Sound, and within 1e-6 of the sampled range (the minimum at x* is sampled to within 1e-4).
        Assert.True((r.Node(1)!.Value.Lower[0] <= lo + 1e-12).all().item<bool>());
        Assert.True((r.Node(1)!.Value.Upper[0] >= hi - 1e-12).all().item<bool>());
        Assert.True(((lo - r.Node(1)!.Value.Lower[0]).max().item<double>()) < 1e-6);
        Assert.True(((r.Node(1)!.Value.Upper[0] - hi).max().item<double>()) < 1e-9);
    }

    [Fact]
    public void Gelu_lines_are_close_to_the_function_on_a_box_across_its_curvature_change()
    {
        // [0.5, 3] spans the convex part and the concave part beyond √2: the band of the sampled lines is still narrow.
        var b = new GraphBuilder(new long[] { 1 });
        int g1 = b.Add(new GeluOp(), "gelu", "t", 0);
        int neg = b.Add(new Certify.Operators.AffineOp(tensor(-1.0), null), "neg", "t", 0);
        var g = b.Build(b.Add(new Certify.Operators.AddOp(), "diff", "t", g1, neg));   // gelu(x) − x: in [−0.31, 0]
        var l = tensor(new[] { 0.5 }).unsqueeze(0); var u = tensor(new[] { 3.0 }).unsqueeze(0);
        using var crown = new BoundEngine(g, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(l, u);
        double width = (crown.Upper - crown.Lower).item<double>();
        // The exact range of gelu(x) − x on the box is [−0.3085, −0.0040] (width 0.30); IBP gives width 2.5 + 2.99.
        Assert.True(width < 0.45, $"CROWN width {width}");
    }

    // ---- ONNX ----------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("Atan", 13)]
    [InlineData("Erf", 13)]
    [InlineData("Gelu", 20)]
    public void Onnx_model_with_the_op_agrees_with_onnx_runtime_and_round_trips(string op, long opset)
    {
        var bytes = new OnnxTestModel(new long[] { 1, 5 }, opset: opset).Node(op, "n", new[] { "x" }, "y").Bytes("y", new long[] { 1, 5 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -4, 4);
        Assert.Contains(g.Nodes, n => n.Op.Kind == op);
        OperatorChecks.AssertExportRoundTrip(g, -4, 4);
    }

    [Fact]
    public void Gelu_with_the_tanh_approximation_is_refused_by_name()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 2 }, opset: 20)
            .Node("Gelu", "g", new[] { "x" }, "y", new AttributeProto { Name = "approximate", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("tanh") })
            .Bytes("y", new long[] { 1, 2 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "g.onnx"));
        Assert.Contains("node 'g' (op Gelu)", e.Message);
        Assert.Contains("approximate='tanh'", e.Message);
    }

    [Fact]
    public void The_erf_pattern_of_older_exporters_imports_and_is_bounded_soundly()
    {
        // x · 0.5 · (1 + erf(x / √2)), as torch.onnx wrote GELU before opset 20: Erf and a product of two variables.
        var bytes = new OnnxTestModel(new long[] { 1, 3 })
            .Init("r2", new float[] { (float)Math.Sqrt(2) }, 1).Init("one", new float[] { 1 }, 1).Init("half", new float[] { 0.5f }, 1)
            .Node("Div", "d", new[] { "x", "r2" }, "s").Node("Erf", "e", new[] { "s" }, "t").Node("Add", "a", new[] { "t", "one" }, "p")
            .Node("Mul", "m", new[] { "x", "p" }, "q").Node("Mul", "h", new[] { "q", "half" }, "y")
            .Bytes("y", new long[] { 1, 3 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -3, 3);
        var (l, u) = OperatorChecks.Boxes(3, 6, 90, -3, 3, 1.5);
        OperatorChecks.AssertSound(g.To(ScalarType.Float64), l, u, ScalarType.Float64, 91, forward: false);
    }

    [Fact]
    public void Constant_atan_erf_and_gelu_fold()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 2 }, opset: 20).Init("c", new float[] { 0.5f, -1 }, 2)
            .Node("Atan", "a", new[] { "c" }, "ca").Node("Erf", "e", new[] { "ca" }, "ce").Node("Gelu", "g", new[] { "ce" }, "cg")
            .Node("Add", "y", new[] { "x", "cg" }, "y").Bytes("y", new long[] { 1, 2 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1);
        Assert.All(g.Nodes.Skip(1), n => Assert.True(n.Op.IsAffine, $"node {n} was not folded"));
    }
}
