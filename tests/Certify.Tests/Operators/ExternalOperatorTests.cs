using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Exact;
using Certify.Graph;
using Certify.Import;
using Certify.Import.Onnx.Proto;
using Certify.Operators;
using Certify.Runtime;
using Certify.Solvers.Encoding;
using Certify.Tests.Bounds;
using Certify.Tests.Import;
using static TorchSharp.torch;

namespace Certify.Tests.Operators;

/// <summary>
/// An operator registered from outside the library (<see cref="SoftsignOp"/>) gets the whole story of a built-in one:
/// the importer reads it from ONNX (and lists it as supported), ONNX Runtime agrees with its forward pass, IBP and
/// CROWN bound it soundly in float32 and float64 (brute force, degenerate boxes and boxes ending at its inflection
/// point included), the exporter writes it back, and the exact back-ends refuse it with its definition's reason.
/// Registration is additive: it adds one op type and one ONNX name that no other test uses.
/// </summary>
public class ExternalOperatorTests
{
    public ExternalOperatorTests() => Softsign.EnsureRegistered();

    static readonly BoundMethod[] Methods = { BoundMethod.Ibp, BoundMethod.Crown };

    /// <summary>x [1, 3] → Gemm (5) → Softsign → Gemm (2), as an exporter would write it.</summary>
    static byte[] SoftsignModel()
    {
        var w1 = new float[] { 0.8f, -1.1f, 0.4f, -0.3f, 0.9f, 1.2f, 1.5f, 0.2f, -0.7f, -0.6f, -1.3f, 0.5f, 0.1f, 0.7f, -0.9f };
        var w2 = new float[] { 1.0f, -0.5f, 0.8f, -1.2f, 0.3f, -0.4f, 1.1f, 0.6f, 0.9f, -1.0f };
        return new OnnxTestModel(new long[] { 1, 3 })
            .Init("W1", w1, 5, 3).Init("b1", new float[] { 0.1f, -0.2f, 0.05f, 0.3f, -0.1f }, 5)
            .Init("W2", w2, 2, 5).Init("b2", new float[] { 0.2f, -0.3f }, 2)
            .Node("Gemm", "fc1", new[] { "x", "W1", "b1" }, "h", OnnxTestModel.Int("transB", 1))
            .Node("Softsign", "squash", new[] { "h" }, "s")
            .Node("Gemm", "fc2", new[] { "s", "W2", "b2" }, "y", OnnxTestModel.Int("transB", 1))
            .Bytes("y", new long[] { 1, 2 });
    }

    /// <summary>Asserts that no sampled point escapes any bound of IBP or CROWN in <paramref name="dtype"/> (graph in float64).</summary>
    static void AssertSound(ComputationGraph graph, Tensor l, Tensor u, ScalarType dtype, int seed)
    {
        var c = randn(new long[] { 4, graph.OutputSize }, ScalarType.Float64, generator: manual_seed(seed));
        var pts = BruteForce.Points(l, u, 3000, seed + 1);
        double tolerance = dtype == ScalarType.Float64 ? 1e-9 : 1e-4;
        foreach (var m in Methods)
        {
            var engine = new BoundEngine(graph, new BoundOptions { Method = m, DType = dtype });
            Assert.Empty(engine.IbpFallbackNodes);   // the rule has a CROWN relaxation: no node falls back to its interval
            using var r = engine.Compute(l, u, c);
            Assert.False(r.Lower.isnan().any().item<bool>(), $"{m} ({dtype}): NaN bound");
            double v = BruteForce.MaxViolation(graph, r, pts, c);
            Assert.True(v <= tolerance, $"{m} ({dtype}): a sampled point escapes a bound by {v}");
        }
    }

    [Fact]
    public void The_registered_operator_is_listed_and_cannot_be_registered_twice()
    {
        Assert.Contains("Softsign", OnnxImporter.SupportedOperators);
        Assert.Same(Softsign.Definition, OperatorRegistry.For(typeof(SoftsignOp)));
        Assert.Contains(OperatorRegistry.Definitions, d => d.Name == "Softsign");
        var again = Assert.Throws<ArgumentException>(() => OperatorRegistry.Register(Softsign.Definition with { }));
        Assert.Contains("already registered", again.Message);
        // Neither may another definition take over its ONNX name, or a built-in one.
        var steal = Softsign.Definition with { OpType = typeof(StolenNameOp), Rule = new StolenNameRule() };
        Assert.Contains("already imported by 'Softsign'", Assert.Throws<ArgumentException>(() => OperatorRegistry.Register(steal)).Message);
        Assert.Null(OperatorRegistry.For(typeof(StolenNameOp)));   // all or nothing: the refused definition left no trace
        var relu = steal with { OnnxImports = new[] { new OnnxImport("Relu", _ => { }) } };
        Assert.Contains("'Relu' is already imported", Assert.Throws<ArgumentException>(() => OperatorRegistry.Register(relu)).Message);
        // A rule for another op type is a mistake, not a registration.
        var mismatched = steal with { OnnxImports = Array.Empty<OnnxImport>(), Rule = new SoftsignRule() };
        Assert.Contains("bounds SoftsignOp", Assert.Throws<ArgumentException>(() => OperatorRegistry.Register(mismatched)).Message);
    }

    [Fact]
    public void An_onnx_model_using_it_imports_and_agrees_with_onnx_runtime()
    {
        var bytes = SoftsignModel();
        var g = OnnxImporter.Import(bytes, "softsign.onnx");
        var node = Assert.Single(g.Nodes, n => n.Op is SoftsignOp);
        Assert.Equal("s", node.Name);
        Assert.Equal("Softsign 'squash'", node.Origin);
        Assert.Equal(new long[] { 5 }, node.Shape);
        var path = Path.Combine(Path.GetTempPath(), $"certify-softsign-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        try
        {
            using var ort = new OnnxRuntimeModel(path);
            var xs = GraphAgreement.RandomPoints(new[] { -3.0, -3, -3 }, new[] { 3.0, 3, 3 }, 20, 11);
            var r = GraphAgreement.Compare(g, ort, xs);
            Assert.True(r.MaxRelativeError <= 1e-5, $"max relative error {r.MaxRelativeError} against ONNX Runtime");
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Bounds_of_the_imported_model_contain_every_sampled_point(ScalarType dtype)
    {
        var g = OnnxImporter.Import(SoftsignModel(), "softsign.onnx").To(ScalarType.Float64);
        for (int seed = 0; seed < 3; seed++)
        {
            var centre = randn(new long[] { 1, 3 }, ScalarType.Float64, generator: manual_seed(40 + seed));
            foreach (var radius in new[] { 0.0, 0.3, 2.0 })   // a point box, a small and a wide one
                AssertSound(g, centre - radius, centre + radius, dtype, 50 + seed);
        }
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void The_relaxation_lines_sandwich_softsign_on_every_box(ScalarType dtype)
    {
        // 300 random boxes (a tenth of them points), and the boxes that end at the inflection point 0 or are [0, 0].
        var gen = manual_seed(90);
        var a = randn(new long[] { 300 }, ScalarType.Float64, generator: gen) * 4;
        var b = where(rand(new long[] { 300 }, ScalarType.Float64, generator: gen) < 0.1, a, randn(new long[] { 300 }, ScalarType.Float64, generator: gen) * 4);
        var l = cat(new[] { minimum(a, b), tensor(new[] { 0.0, -2.5, 0.0, -1e-3 }) }).to_type(dtype).unsqueeze(0);   // [1, K]
        var u = cat(new[] { maximum(a, b), tensor(new[] { 1.5, 0.0, 0.0, 1e-3 }) }).to_type(dtype).unsqueeze(0);
        var rel = new SoftsignRule().Lines(l, u);
        // Points of each box (its ends included), in the box's dtype; the truth is softsign in float64 of those points.
        var t = cat(new[] { zeros(1, 1, dtype: ScalarType.Float64), rand(new long[] { 1, 200 }, ScalarType.Float64, generator: gen), ones(1, 1, dtype: ScalarType.Float64) }, 1); // [1, P]
        var x = (l.to_type(ScalarType.Float64).unsqueeze(-1) + t.unsqueeze(1) * (u - l).to_type(ScalarType.Float64).unsqueeze(-1)).to_type(dtype).to_type(ScalarType.Float64);
        x = minimum(maximum(x, l.to_type(ScalarType.Float64).unsqueeze(-1)), u.to_type(ScalarType.Float64).unsqueeze(-1));   // [1, K, P]
        Tensor Line(Tensor k, Tensor? c) => k.to_type(ScalarType.Float64).unsqueeze(-1) * x + (c is null ? 0 : c.to_type(ScalarType.Float64).unsqueeze(-1));
        var f = Softsign.F(x);
        double below = (Line(rel.LowerSlope, rel.LowerBias) - f).max().item<double>();
        double above = (f - Line(rel.UpperSlope, rel.UpperBias)).max().item<double>();
        // Evaluating the lines in float64 from float32 coefficients is exact enough: the margin covers float32 rounding.
        Assert.True(below <= 0, $"the lower line rises above softsign by {below}");
        Assert.True(above <= 0, $"the upper line falls below softsign by {above}");
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Each_relaxation_holds_on_boxes_ending_at_zero_and_on_point_boxes(ScalarType dtype)
    {
        // Input → Softsign alone, so the rows C·y are bounded by the relaxation lines themselves, element by element:
        // [0, u] and [l, 0] (ending at the inflection point), [0, 0], point boxes, one-sided and straddling boxes.
        var b = new GraphBuilder(new long[] { 8 });
        var g = b.Build(b.Add(new SoftsignOp(), "s", "test", 0));
        var l = tensor(new[] { 0.0, -2.5, 0.0, 0.7, -4.0, 0.3, -1.0, -30.0 }, ScalarType.Float64).unsqueeze(0);
        var u = tensor(new[] { 1.5, 0.0, 0.0, 0.7, -0.5, 6.0, 2.0, 25.0 }, ScalarType.Float64).unsqueeze(0);
        AssertSound(g, l, u, dtype, 70);
        // A point box has the exact value as both CROWN bounds (the two lines meet f there), up to the rounding margin
        // the rule adds, a few units of the dtype's rounding times 1 + |x|.
        var engine = new BoundEngine(g, new BoundOptions { Method = BoundMethod.Crown, DType = dtype });
        using var r = engine.Compute(l, l);
        var scale = 1 + l.abs();
        double tol = dtype == ScalarType.Float64 ? 1e-9 : 1e-5;
        var lo = r.Lower.to_type(ScalarType.Float64); var hi = r.Upper.to_type(ScalarType.Float64);
        Assert.True(((hi - lo) / scale).max().item<double>() < tol, "a point box gets a wide CROWN bound");
        Assert.True(((lo - Softsign.F(l)).abs() / scale).max().item<double>() < tol, "a point box's CROWN bound misses the value");
    }

    [Fact]
    public void It_exports_to_onnx_and_reimports_to_the_same_function()
    {
        var g = OnnxImporter.Import(SoftsignModel(), "softsign.onnx");
        var bytes = OnnxExporter.ToBytes(g);
        Assert.Contains(ModelProto.Parser.ParseFrom(bytes).Graph.Node, n => n.OpType == "Softsign");
        var back = OnnxImporter.Import(bytes, "exported.onnx");
        Assert.Single(back.Nodes, n => n.Op is SoftsignOp);
        using var x = randn(new long[] { 16, 3 }, ScalarType.Float64, generator: manual_seed(3)) * 2;
        using var y0 = g.To(ScalarType.Float64).Forward(x);
        using var y1 = back.To(ScalarType.Float64).Forward(x);
        Assert.True((y0 - y1).abs().max().item<double>() < 1e-5);   // weights go through float32 in the file
    }

    [Fact]
    public void The_exact_backends_refuse_it_with_its_reason()
    {
        var g = OnnxImporter.Import(SoftsignModel(), "softsign.onnx");
        var e = Assert.Throws<EncodingNotSupportedException>(() => GraphEncoder.Encode(g, new[] { -1.0, -1, -1 }, new[] { 1.0, 1, 1 }));
        Assert.Equal($"node 's' (Softsign, from Softsign 'squash') cannot be encoded exactly: {Softsign.NotExact}", e.Message);
    }

    /// <summary>An op whose definitions only exist to be refused.</summary>
    sealed class StolenNameOp : Op
    {
        public override string Kind => "StolenName";
        public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0].alias();
    }

    sealed class StolenNameRule : BoundRule<StolenNameOp>
    {
        protected override Interval Ibp(StolenNameOp op, Node node, IReadOnlyList<Interval> inputs) => inputs[0];
    }
}
