using Certify.Graph.Ops;
using Certify.Import;
using Certify.Runtime;

namespace Certify.Tests.Import;

public class OnnxImporterTests
{
    static readonly float[] W23 = { 1, -2, 3, 0.5f, -1, 2 };   // [2, 3]

    static void AssertAgrees(string path, int inputs, double tol = 1e-5)
    {
        var g = OnnxImporter.Import(path);
        using var ort = new OnnxRuntimeModel(path);
        var xs = GraphAgreement.RandomPoints(Enumerable.Repeat(-1.0, inputs).ToArray(), Enumerable.Repeat(1.0, inputs).ToArray(), 5, 7);
        var r = GraphAgreement.Compare(g, ort, xs);
        Assert.True(r.MaxRelativeError <= tol, $"{path}: max relative error {r.MaxRelativeError}");
    }

    [Fact]
    public void MalformedFileGivesImportExceptionNamingTheFile()
    {
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(new byte[] { 0x0a, 0xff, 0xff, 0xff, 0x01, 0x02 }, "broken.onnx"));
        Assert.Contains("broken.onnx", e.Message);
        Assert.Contains("not a valid ONNX model", e.Message);
    }

    [Fact]
    public void MissingFileGivesImportException()
    {
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import("/nonexistent/model.onnx"));
        Assert.Contains("/nonexistent/model.onnx", e.Message);
    }

    [Fact]
    public void UnsupportedOperatorNamesNodeOpAndSupportedList()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 3 }).Node("Relu", "r", new[] { "x" }, "h").Node("Erf", "mystery", new[] { "h" }, "y").Bytes("y", new long[] { 1, 3 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "m.onnx"));
        Assert.StartsWith("m.onnx: node 'mystery' (op Erf) is not supported; supported: Gemm, MatMul", e.Message);
    }

    [Fact]
    public void MissingInitializerIsReported()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 3 }).Node("MatMul", "mm", new[] { "x", "W" }, "y").Bytes("y", new long[] { 1, 2 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "m.onnx"));
        Assert.Contains("node 'mm' (op MatMul) reads 'W'", e.Message);
    }

    [Fact]
    public void ShapeMismatchIsReported()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 4 }).Init("W", W23, 2, 3).Node("Gemm", "fc", new[] { "x", "W" }, "y", OnnxTestModel.Int("transB", 1)).Bytes("y", new long[] { 1, 2 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "m.onnx"));
        Assert.Contains("node 'fc' (op Gemm)", e.Message);
    }

    [Fact]
    public void TwoInputsAreRejected()
    {
        var m = new OnnxTestModel(new long[] { 1, 3 });
        var bytes = m.Node("Add", "a", new[] { "x", "z" }, "y").Bytes("y", new long[] { 1, 3 });
        var model = Certify.Import.Onnx.Proto.ModelProto.Parser.ParseFrom(bytes);
        model.Graph.Input.Add(OnnxTestModel.Info("z", new long[] { 1, 3 }));
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(Google.Protobuf.MessageExtensions.ToByteArray(model), "two.onnx"));
        Assert.Contains("2 inputs", e.Message);
    }

    [Fact]
    public void SymbolicBatchBecomesTheBatch()
    {
        var path = new OnnxTestModel(new long[] { 1, 3 }, symbolicFirst: "unk__6").Init("W", W23, 2, 3).Init("b", new float[] { 0.5f, -0.25f }, 2)
            .Node("Gemm", "fc", new[] { "x", "W", "b" }, "y", OnnxTestModel.Int("transB", 1)).Save("y", new long[] { 1, 2 });
        var g = OnnxImporter.Import(path);
        Assert.Equal(new long[] { 3 }, g.InputShape);
        Assert.Equal(new long[] { 2 }, g.OutputShape);
        Assert.IsType<LinearOp>(g.Output.Op);
        AssertAgrees(path, 3);
    }

    [Fact]
    public void InputWithoutBatchGetsAVirtualOne()
    {
        // [3] @ W[3, 2] then Softmax over axis 0 of the unbatched tensor.
        var path = new OnnxTestModel(new long[] { 3 }).Init("W", W23, 3, 2)
            .Node("MatMul", "mm", new[] { "x", "W" }, "h").Node("Softmax", "sm", new[] { "h" }, "y", OnnxTestModel.Int("axis", 0)).Save("y", new long[] { 2 });
        var g = OnnxImporter.Import(path);
        Assert.Equal(new long[] { 3 }, g.InputShape);
        Assert.Equal(new long[] { 2 }, g.OutputShape);
        AssertAgrees(path, 3);
    }

    [Fact]
    public void ConstantOperandsBecomeAffineAndFoldIntoLinear()
    {
        // y = ((c - x) / d) @ W + b : Sub(c, x) and Div(x, d) become Affine ops before the Linear.
        var path = new OnnxTestModel(new long[] { 1, 3 }).Init("c", new float[] { 1, 2, 3 }, 3).Init("d", new float[] { 2, 4, 8 }, 3)
            .Init("W", W23, 3, 2).Init("b", new float[] { 1, -1 }, 2)
            .Node("Sub", "sub", new[] { "c", "x" }, "s").Node("Div", "div", new[] { "s", "d" }, "t")
            .Node("MatMul", "mm", new[] { "t", "W" }, "m").Node("Add", "add", new[] { "m", "b" }, "y").Save("y", new long[] { 1, 2 });
        var g = OnnxImporter.Import(path);
        Assert.Equal(new[] { "Input", "Affine", "Linear" }, g.Nodes.Select(n => n.Op.Kind).ToArray());
        Assert.NotNull(((LinearOp)g.Output.Op).Bias);
        AssertAgrees(path, 3);
    }

    [Fact]
    public void DivisionOfConstantByVariableIsAClearError()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 3 }).Init("c", new float[] { 1, 2, 3 }, 3).Node("Div", "inv", new[] { "c", "x" }, "y").Bytes("y", new long[] { 1, 3 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "m.onnx"));
        Assert.Contains("node 'inv' (op Div)", e.Message);
        Assert.Contains("c / x", e.Message);
    }

    [Fact]
    public void SubOfTwoVariablesAndShapeArithmeticFold()
    {
        // y = Reshape(x - Relu(x), Concat(Shape(x)[0], [-1])): Shape/Gather/Concat fold, Sub becomes Add + Affine(-1).
        var path = new OnnxTestModel(new long[] { 1, 2, 3 }, symbolicFirst: "N").InitInts("zero", new long[] { 0 }).InitInts("minus1", new long[] { -1 }, 1)
            .Node("Relu", "r", new[] { "x" }, "rx").Node("Sub", "sub", new[] { "x", "rx" }, "d")
            .Node("Shape", "shape", new[] { "x" }, "s").Node("Gather", "g", new[] { "s", "zero" }, "n")
            .Node("Unsqueeze", "u", new[] { "n", "zero" }, "n1").Node("Concat", "c", new[] { "n1", "minus1" }, "target", OnnxTestModel.Int("axis", 0))
            .Node("Reshape", "reshape", new[] { "d", "target" }, "y").Save("y", new long[] { 1, 6 });
        var g = OnnxImporter.Import(path);
        Assert.Equal(new long[] { 6 }, g.OutputShape);
        Assert.Contains(g.Nodes, n => n.Op is AddOp);
        AssertAgrees(path, 6);
    }

    [Fact]
    public void SplitAndConcatWithConstantPart()
    {
        var path = new OnnxTestModel(new long[] { 1, 4 }).Init("c", new float[] { 7, 8 }, 1, 2)
            .Node("Split", "split", new[] { "x" }, "a", OnnxTestModel.Int("axis", 1))
            .Node("Concat", "cat", new[] { "c", "a" }, "y", OnnxTestModel.Int("axis", 1)).Save("y", new long[] { 1, 4 });
        // A one-output Split keeps the whole axis.
        AssertAgrees(path, 4);
        var g = OnnxImporter.Import(path);
        Assert.Equal(new long[] { 6 }, g.OutputShape);
    }

    [Fact]
    public void MatMulOfTwoVariablesIsExpressedWithMulAndReduceSum()
    {
        var path = new OnnxTestModel(new long[] { 1, 2, 3 }).Init("P", new float[] { 1, 0, 0, 1, 1, 0, 0, 0, 1 }, 3, 3)
            .Node("MatMul", "lin", new[] { "x", "P" }, "h").Node("Transpose", "t", new[] { "h" }, "ht", new Certify.Import.Onnx.Proto.AttributeProto { Name = "perm", Type = Certify.Import.Onnx.Proto.AttributeProto.Types.AttributeType.Ints, Ints = { 0, 2, 1 } })
            .Node("MatMul", "bilinear", new[] { "x", "ht" }, "y").Save("y", new long[] { 1, 2, 2 });
        var g = OnnxImporter.Import(path);
        Assert.Contains(g.Nodes, n => n.Op is MulOp);
        AssertAgrees(path, 6);
    }
}
