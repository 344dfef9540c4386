using Certify.Import;
using Certify.Operators;
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
        var bytes = new OnnxTestModel(new long[] { 1, 3 }).Node("Relu", "r", new[] { "x" }, "h").Node("Hardmax", "mystery", new[] { "h" }, "y").Bytes("y", new long[] { 1, 3 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "m.onnx"));
        Assert.StartsWith("m.onnx: node 'mystery' (op Hardmax) is not supported; supported: Gemm, MatMul", e.Message);
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
    public void TwoInputsBecomeOneConcatenatedInput()
    {
        // x [1, 3] float (batched), z [2] double (virtual batch): y = Gemm(x, W, b) - Cast(z). The graph input is x then z.
        var path = new OnnxTestModel(new long[] { 1, 3 }).Input("z", new long[] { 2 }, elemType: 11)
            .Init("W", W23, 2, 3).Init("b", new float[] { 0.5f, -0.25f }, 2)
            .Node("Gemm", "fc", new[] { "x", "W", "b" }, "h", OnnxTestModel.Int("transB", 1))
            .Node("Cast", "zf", new[] { "z" }, "zf", OnnxTestModel.Int("to", 1))
            .Node("Sub", "d", new[] { "h", "zf" }, "y").Save("y", new long[] { 1, 2 });
        var g = OnnxImporter.Import(path);
        Assert.Equal(new long[] { 5 }, g.InputShape);
        Assert.Equal(new long[] { 2 }, g.OutputShape);
        // (1, 2, 3)·W^T + b = (6.5, 4.25); minus z = (10, -1).
        var y = GraphAgreement.Evaluate(g, new[] { new double[] { 1, 2, 3, 10, -1 } }, TorchSharp.torch.ScalarType.Float64)[0];
        Assert.Equal(new[] { -3.5, 5.25 }, y);
        using var ort = new OnnxRuntimeModel(path);
        Assert.Equal(5, ort.InputSize);
        Assert.Equal(new[] { -3.5, 5.25 }, ort.Run(new double[] { 1, 2, 3, 10, -1 }));
        AssertAgrees(path, 5);
    }

    [Fact]
    public void OneInputGraphIsUnchangedAndSeveralInputsAreSlicedInDeclarationOrder()
    {
        var one = OnnxImporter.Import(new OnnxTestModel(new long[] { 1, 3 }).Node("Relu", "r", new[] { "x" }, "y").Bytes("y", new long[] { 1, 3 }), "one.onnx");
        Assert.Equal(2, one.Nodes.Count);
        Assert.Equal("x", one.Input.Name);
        // b is declared first, so it takes elements 0..3 of the flat input and a takes 4..5.
        var two = OnnxImporter.Import(new OnnxTestModel(new long[] { 1, 2, 2 }, input: "b").Input("a", new long[] { 1, 2 })
            .Node("Flatten", "f", new[] { "b" }, "bf").Node("Concat", "c", new[] { "a", "bf" }, "y", OnnxTestModel.Int("axis", 1)).Bytes("y", new long[] { 1, 6 }), "two.onnx");
        Assert.Equal(new long[] { 6 }, two.InputShape);
        var y = GraphAgreement.Evaluate(two, new[] { new double[] { 1, 2, 3, 4, 5, 6 } }, TorchSharp.torch.ScalarType.Float64)[0];
        Assert.Equal(new double[] { 5, 6, 1, 2, 3, 4 }, y);
    }

    [Fact]
    public void NonFloatSecondInputIsReportedByName()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 3 }).Input("k", new long[] { 1, 3 }, elemType: 7)
            .Node("Relu", "r", new[] { "x" }, "y").Bytes("y", new long[] { 1, 3 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "two.onnx"));
        Assert.StartsWith("two.onnx: input 'k' has element type", e.Message);
        Assert.Contains("float and double", e.Message);
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
    public void DivisionOfConstantByVariableImportsAsAScaledReciprocal()
    {
        // c / x was refused before division by a variable was supported (Operators/Bilinear): now Reciprocal, then Affine.
        var bytes = new OnnxTestModel(new long[] { 1, 3 }).Init("c", new float[] { 1, 2, 3 }, 3).Node("Div", "inv", new[] { "c", "x" }, "y").Bytes("y", new long[] { 1, 3 });
        var g = OnnxImporter.Import(bytes, "m.onnx");
        Assert.Contains(g.Nodes, n => n.Op is Certify.Operators.ReciprocalOp);
        var y = GraphAgreement.Evaluate(g, new[] { new double[] { 2, 4, -0.5 } }, TorchSharp.torch.ScalarType.Float64)[0];
        Assert.Equal(new[] { 0.5, 0.5, -6 }, y);
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
