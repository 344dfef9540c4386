using Certify.Bounds;
using Certify.Import.Onnx.Proto;
using Certify.Operators;
using Certify.Tests.Import;
using Google.Protobuf;
using static TorchSharp.torch;

namespace Certify.Tests.Operators;

/// <summary>LayerNormalization (and the pattern older exporters write for it): ONNX Runtime agreement and soundness.</summary>
public class NormalisationTests
{
    static float[] Values(int n, int seed) { var r = new Random(seed); return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray(); }

    [Theory]
    [InlineData(-1, ScalarType.Float64)]
    [InlineData(1, ScalarType.Float64)]
    [InlineData(-1, ScalarType.Float32)]
    [InlineData(1, ScalarType.Float32)]
    public void Layer_normalization_agrees_with_onnx_runtime_and_its_bounds_contain_every_sampled_point(long axis, ScalarType dtype)
    {
        // x [1, 2, 3], normalised over the last axis or the last two; Scale and B over the normalised axes.
        var normalised = axis == -1 ? new long[] { 3 } : new long[] { 2, 3 };
        int d = (int)normalised.Aggregate(1L, (a, b) => a * b);
        var bytes = new OnnxTestModel(new long[] { 1, 2, 3 }, opset: 17)
            .Init("g", Values(d, 1), normalised).Init("b", Values(d, 2), normalised)
            .Node("LayerNormalization", "ln", new[] { "x", "g", "b" }, "y", OnnxTestModel.Int("axis", axis))
            .Bytes("y", new long[] { 1, 2, 3 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -2, 2, 1e-5);
        Assert.Contains(g.Nodes, n => n.Op is ReciprocalOp);
        var (l, u) = OperatorChecks.Boxes(6, 6, 3, -2, 2, 0.3);
        OperatorChecks.AssertSound(g.To(ScalarType.Float64), l, u, dtype, 4, samples: 300, forward: false);
        OperatorChecks.AssertExportRoundTrip(g, -2, 2);
    }

    [Fact]
    public void Mean_and_inverse_standard_deviation_outputs_agree_with_onnx_runtime()
    {
        var m = new OnnxTestModel(new long[] { 1, 2, 4 }, opset: 17).Init("g", Values(4, 3), 4)
            .InitInts("flat", new long[] { 1, -1 }, 2);
        var n = new NodeProto { OpType = "LayerNormalization", Name = "ln" };
        n.Input.AddRange(new[] { "x", "g" }); n.Output.AddRange(new[] { "y", "mean", "inv" });
        n.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = 0.01f });
        var bytes = m.Node("Reshape", "fy", new[] { "y", "flat" }, "y2").Node("Reshape", "fm", new[] { "mean", "flat" }, "m2")
            .Node("Reshape", "fi", new[] { "inv", "flat" }, "i2").Node("Concat", "cat", new[] { "y2", "m2", "i2" }, "out", OnnxTestModel.Int("axis", 1))
            .Bytes("out", new long[] { 1, 12 });
        // The three-output node goes in first (import and ONNX Runtime both sort nodes anyway).
        var model = ModelProto.Parser.ParseFrom(bytes);
        model.Graph.Node.Insert(0, n);
        OperatorChecks.AssertAgreesWithOrt(model.ToByteArray(), -1, 1, 1e-5);
    }

    [Fact]
    public void A_wide_layer_normalization_uses_the_reduce_path_and_agrees_with_onnx_runtime()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 1100 }, opset: 17).Init("g", Values(1100, 5), 1100)
            .Node("LayerNormalization", "ln", new[] { "x", "g" }, "y").Bytes("y", new long[] { 1, 1100 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1, 1e-5, 3);
        Assert.DoesNotContain(g.Nodes, n => n.Op is Certify.Operators.LinearOp);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void The_layer_norm_pattern_of_older_exporters_imports_and_is_bounded_soundly(ScalarType dtype)
    {
        // (x − mean) / sqrt(mean((x − mean)²) + ε) · γ + β with ReduceMean, Sub, Pow, Add, Sqrt, Div: division by a variable.
        var bytes = new OnnxTestModel(new long[] { 1, 4 })
            .Init("two", new float[] { 2 }, 1).Init("eps", new float[] { 1e-5f }, 1).Init("g", Values(4, 7), 4).Init("b", Values(4, 8), 4)
            .Node("ReduceMean", "m", new[] { "x" }, "mu", new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { -1 } })
            .Node("Sub", "c", new[] { "x", "mu" }, "d").Node("Pow", "p", new[] { "d", "two" }, "d2")
            .Node("ReduceMean", "v", new[] { "d2" }, "var", new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { -1 } })
            .Node("Add", "ve", new[] { "var", "eps" }, "vare").Node("Sqrt", "s", new[] { "vare" }, "std")
            .Node("Div", "n", new[] { "d", "std" }, "nd").Node("Mul", "gm", new[] { "nd", "g" }, "ng").Node("Add", "bt", new[] { "ng", "b" }, "y")
            .Bytes("y", new long[] { 1, 4 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -2, 2, 1e-5);
        var (l, u) = OperatorChecks.Boxes(4, 6, 9, -2, 2, 0.3);
        OperatorChecks.AssertSound(g.To(ScalarType.Float64), l, u, dtype, 10, samples: 300, forward: false);
    }

    [Fact]
    public void Normalised_outputs_are_bounded_within_what_the_normalisation_allows()
    {
        // Without scale and shift each output of a layer norm over n elements lies in [−√(n−1), √(n−1)]; on a small box
        // around a point with spread-out values the CROWN bounds are far tighter than that and contain the point's output.
        var bytes = new OnnxTestModel(new long[] { 1, 4 }, opset: 17).Init("g", new float[] { 1, 1, 1, 1 }, 4)
            .Node("LayerNormalization", "ln", new[] { "x", "g" }, "y").Bytes("y", new long[] { 1, 4 });
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1).To(ScalarType.Float64);
        var c = tensor(new[] { -1.0, -0.3, 0.4, 1.0 }).unsqueeze(0);
        using var r = new BoundEngine(g, new BoundOptions { Method = BoundMethod.Crown, DType = ScalarType.Float64 }).Compute(c - 0.01, c + 0.01);
        var y = g.Forward(c);
        Assert.True((r.Lower <= y.reshape(1, -1) + 1e-9).all().item<bool>() && (r.Upper >= y.reshape(1, -1) - 1e-9).all().item<bool>());
        double width = (r.Upper - r.Lower).max().item<double>();
        Assert.True(width < 0.5, $"CROWN width {width} on a box of radius 0.01");
    }
}
