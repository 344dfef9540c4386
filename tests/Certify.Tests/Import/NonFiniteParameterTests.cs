using Certify.Graph;
using Certify.Import;
using Certify.Operators;
using Certify.Spec;
using Certify.Verification;
using static TorchSharp.torch;

namespace Certify.Tests.Import;

/// <summary>
/// Issue 12, items 1 and 2: a +inf weight gave a wrong unsat (the MILP stage "proved" it) and a NaN or inf weight
/// segfaulted the MILP stage. Certify accepts finite parameters only: importers refuse NaN/inf parameters naming the
/// initializer (or the folded node), graphs built in code refuse them naming the node, and the verifier never proves.
/// </summary>
public sealed class NonFiniteParameterTests
{
    const string Y0AtLeast = "(assert (>= Y_0 1.5))";
    const string Y1AtLeast = "(assert (>= Y_1 1.5))";

    /// <summary>x [1, 2] → Gemm(W [2, 2], transB) → Relu → Gemm(W2 = identity): Y = relu(x·Wᵀ). W as float (1) or double (11).</summary>
    static OnnxTestModel Net(double[] w, int elemType)
    {
        var m = new OnnxTestModel(new long[] { 1, 2 });
        if (elemType == 11) m.InitDoubles("W", w, 2, 2); else m.Init("W", w.Select(v => (float)v).ToArray(), 2, 2);
        return m.Init("W2", new float[] { 1, 0, 0, 1 }, 2, 2)
            .Node("Gemm", "gemm0", new[] { "x", "W" }, "h", OnnxTestModel.Int("transB", 1))
            .Node("Relu", "relu0", new[] { "h" }, "r")
            .Node("Gemm", "gemm1", new[] { "r", "W2" }, "y", OnnxTestModel.Int("transB", 1));
    }

    /// <summary>Item 1: Y_0 = relu(x0 + inf·x1): +inf at (0.5, 0.5) in ONNX Runtime, where Y_0 ≥ 1.5 holds.</summary>
    static OnnxTestModel InfNet(int elemType) => Net(new[] { 1, double.PositiveInfinity, 1, 1 }, elemType);

    /// <summary>Item 2: Y_1 = relu(x0 + NaN·x1).</summary>
    static OnnxTestModel NaNNet(int elemType) => Net(new[] { 1, 1, 1, double.NaN }, elemType);

    static string Property(string unsafeOutput)
    {
        var path = Path.Combine(Path.GetTempPath(), $"certify-test-{Guid.NewGuid():N}.vnnlib");
        File.WriteAllText(path, string.Join("\n",
            "(declare-const X_0 Real)", "(declare-const X_1 Real)", "(declare-const Y_0 Real)", "(declare-const Y_1 Real)",
            "(assert (>= X_0 0.0))", "(assert (<= X_0 1.0))", "(assert (>= X_1 0.0))", "(assert (<= X_1 1.0))", unsafeOutput, ""));
        return path;
    }

    /// <summary>Verify must refuse the file at import; if it ever got past import it must not answer unsat.</summary>
    static ImportException AssertRefusedAndNeverUnsat(string model, string property)
    {
        var options = new VerifierOptions { Timeout = TimeSpan.FromSeconds(20) };
        VerificationReport? report = null;
        var e = Record.Exception(() => report = Verifier.Verify(model, property, options));
        Assert.True(report is null || report.Verdict.Kind != VerdictKind.Unsat, $"verify proved a property of a network with non-finite weights: {report?.Verdict}");
        return Assert.IsType<ImportException>(e);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(11)]
    public void InfWeightIsRefusedAtImportNamingTheInitializer(int elemType)
    {
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(InfNet(elemType).Bytes("y", new long[] { 1, 2 }), "net.onnx"));
        Assert.Equal("net.onnx: initializer 'W' (node 'gemm0', Gemm) holds +inf at index 1; Certify accepts finite parameters only", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(11)]
    public void NaNWeightIsRefusedAtImportNamingTheInitializer(int elemType)
    {
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(NaNNet(elemType).Bytes("y", new long[] { 1, 2 }), "net.onnx"));
        Assert.Equal("net.onnx: initializer 'W' (node 'gemm0', Gemm) holds NaN at index 3; Certify accepts finite parameters only", e.Message);
    }

    [Fact]
    public void VerifyNeverAnswersUnsatOnTheInfWeightNetwork()
    {
        var model = InfNet(1).Save("y", new long[] { 1, 2 });
        var e = AssertRefusedAndNeverUnsat(model, Property(Y0AtLeast));
        Assert.Contains("initializer 'W'", e.Message);
    }

    [Fact]
    public void VerifyNeitherCrashesNorProvesOnTheNaNWeightNetwork()
    {
        var model = NaNNet(1).Save("y", new long[] { 1, 2 });
        var e = AssertRefusedAndNeverUnsat(model, Property(Y1AtLeast));
        Assert.Contains("holds NaN", e.Message);
    }

    [Fact]
    public void NegativeInfBiasIsRefusedToo()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 2 }).Init("W", new float[] { 1, 0, 0, 1 }, 2, 2).Init("b", new float[] { 0, float.NegativeInfinity }, 2)
            .Node("Gemm", "fc", new[] { "x", "W", "b" }, "y", OnnxTestModel.Int("transB", 1)).Bytes("y", new long[] { 1, 2 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "m.onnx"));
        Assert.Equal("m.onnx: initializer 'b' (node 'fc', Gemm) holds -inf at index 1; Certify accepts finite parameters only", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(11)]
    public void ConstantFoldedDivByZeroIsRefusedNamingTheNode(int elemType)
    {
        // W / Z with Z = 0 is folded at import into a weight full of +inf that Gemm then uses.
        var m = new OnnxTestModel(new long[] { 1, 2 });
        if (elemType == 11) m.InitDoubles("W", new double[] { 1, 2, 3, 4 }, 2, 2).InitDoubles("Z", new double[] { 0 }, 1);
        else m.Init("W", new float[] { 1, 2, 3, 4 }, 2, 2).Init("Z", new float[] { 0 }, 1);
        var bytes = m.Node("Div", "div0", new[] { "W", "Z" }, "Wz").Node("Gemm", "gemm0", new[] { "x", "Wz" }, "y", OnnxTestModel.Int("transB", 1))
            .Bytes("y", new long[] { 1, 2 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "m.onnx"));
        Assert.Equal("m.onnx: node 'div0' (Div) computes a constant holding +inf at index 0, used by node 'gemm0' (Gemm); Certify accepts finite parameters only", e.Message);
    }

    [Fact]
    public void DataPathDivByZeroConstantIsRefusedNamingTheNode()
    {
        // x / 0 becomes an Affine scale of 1/0 = +inf.
        var bytes = new OnnxTestModel(new long[] { 1, 2 }).Init("Z", new float[] { 0 }, 1)
            .Node("Div", "div0", new[] { "x", "Z" }, "y").Bytes("y", new long[] { 1, 2 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "m.onnx"));
        Assert.StartsWith("m.onnx: node 'div0' (op Div) computes a Affine scale holding +inf at index 0", e.Message);
        Assert.EndsWith("Certify accepts finite parameters only", e.Message);
    }

    [Fact]
    public void InfiniteClipLimitIsStillAccepted()
    {
        // ONNX's own "no limit" is +inf; it is a limit, not a parameter of the network.
        var bytes = new OnnxTestModel(new long[] { 1, 2 }).Init("lo", new float[] { 0 }).Init("hi", new float[] { float.PositiveInfinity })
            .Node("Clip", "clip", new[] { "x", "lo", "hi" }, "y").Bytes("y", new long[] { 1, 2 });
        var g = OnnxImporter.Import(bytes, "m.onnx");
        var clip = Assert.IsType<ClipOp>(g.Output.Op);
        Assert.Equal(double.PositiveInfinity, clip.Max);
    }

    [Fact]
    public void NNetFileWithNaNWeightIsRefusedNamingTheLine()
    {
        const string text = "1,2,1,2,\n2,1,\n0,\n0,0,\n1,1,\n0,0,0,\n1,1,1,\nnan,1.0,\n0.0,\n";
        var e = Assert.Throws<NNetException>(() => NNetReader.Load(new StringReader(text), "n.nnet"));
        Assert.Equal(8, e.Line);
        Assert.StartsWith("n.nnet:8: weight row 1 of layer 1", e.Message);
        Assert.Contains("'nan'", e.Message);
        var inf = Assert.Throws<NNetException>(() => NNetReader.Load(new StringReader(text.Replace("nan", "1e400")), "n.nnet"));
        Assert.Equal(8, inf.Line);
    }

    [Fact]
    public void NNetNormalisationThatOverflowsIsRefused()
    {
        // A finite but tiny range makes 1/range overflow to +inf in the raw-units graph.
        const string text = "1,2,1,2,\n2,1,\n0,\n0,0,\n1,1,\n0,0,0,\n1e-320,1,1,\n1.0,1.0,\n0.0,\n";
        var net = NNetReader.Load(new StringReader(text), "n.nnet");
        var e = Assert.Throws<NNetException>(() => NNetReader.ToGraph(net, rawUnits: true));
        Assert.Contains("node 'normalise'", e.Message);
        Assert.Contains("+inf", e.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void GraphBuilderRefusesNonFiniteParameters(ScalarType dtype)
    {
        var b = new GraphBuilder(new long[] { 2 });
        var w = tensor(new double[] { 1, 2, double.NaN, 4 }, new long[] { 2, 2 }).to_type(dtype);
        var e = Assert.Throws<GraphException>(() => b.Add(new LinearOp(w, null), "fc", "test layer", b.InputId));
        Assert.Equal("node 'fc' (test layer): Linear weight holds NaN at index 2; Certify accepts finite parameters only", e.Message);
        var shift = tensor(new double[] { 0, double.NegativeInfinity }).to_type(dtype);
        var e2 = Assert.Throws<GraphException>(() => b.Add(new AffineOp(null, shift), "aff", "", b.InputId));
        Assert.Contains("Affine shift holds -inf at index 1", e2.Message);
        Assert.Throws<GraphException>(() => b.Add(new LeakyReluOp(double.NaN), "lr", "", b.InputId));
        Assert.Throws<GraphException>(() => b.Add(new ClipOp(double.NaN, 1), "clip", "", b.InputId));
    }

    [Fact]
    public void MappedGraphsCannotSmuggleInNonFiniteParameters()
    {
        var b = new GraphBuilder(new long[] { 2 });
        int fc = b.Add(new LinearOp(tensor(new double[] { 1, 2, 3, 4 }, new long[] { 2, 2 }), tensor(new double[] { 0, 1e39 })), "fc", "", b.InputId);
        var g = b.Build(fc);
        Assert.Throws<GraphException>(() => g.MapParameters(p => p * double.NaN));
        // 1e39 is finite in float64 but +inf in float32: the float32 copy is refused, naming the node and the dtype.
        var e = Assert.Throws<GraphException>(() => g.To(ScalarType.Float32));
        Assert.Contains("node 'fc'", e.Message);
        Assert.Contains("bias holds +inf at index 1", e.Message);
        Assert.Contains("Float32", e.Message);
    }

    sealed class FixedOutput(double[] y) : IReferenceModel
    {
        public double[] Run(double[] x) => y;
        public string Description => "fixed output";
    }

    static CounterexampleChecker Checker(double[] y, string unsafeOutput) =>
        new(new FixedOutput(y), VnnLibParser.Parse(new StringReader(File.ReadAllText(Property(unsafeOutput))), "p.vnnlib"));

    [Fact]
    public void CheckerTakesInfiniteOutputsWithIeeeSemanticsAndNaNAsNeverSatisfying()
    {
        // +inf satisfies Y_0 >= 1.5 (a genuine violation on the reference model), even when another output is NaN
        // (the property does not read Y_1, so 0·NaN must not spoil the row).
        var sat = Checker(new[] { double.PositiveInfinity, double.NaN }, Y0AtLeast).Check(new[] { 0.5, 0.5 });
        Assert.True(sat.Confirmed, sat.Detail);
        // -inf does not; NaN satisfies no comparison.
        Assert.False(Checker(new[] { double.NegativeInfinity, 0 }, Y0AtLeast).Check(new[] { 0.5, 0.5 }).Confirmed);
        var nan = Checker(new[] { double.NaN, 0 }, Y0AtLeast).Check(new[] { 0.5, 0.5 });
        Assert.False(nan.Confirmed);
        Assert.Equal(double.PositiveInfinity, nan.BestMargin);
    }
}
