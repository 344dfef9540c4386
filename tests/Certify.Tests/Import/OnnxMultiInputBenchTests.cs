using Certify.Bounds;
using Certify.Import;
using Certify.Runtime;
using Certify.Tests.Bounds;
using static TorchSharp.torch;

namespace Certify.Tests.Import;

/// <summary>
/// The benchmark networks with several graph inputs: they import as one graph whose input is every ONNX input
/// flattened and concatenated in declaration order (the VNN-COMP convention), agree with ONNX Runtime fed the same
/// split, and their bounds contain sampled outputs.
/// </summary>
public class OnnxMultiInputBenchTests
{
    public static TheoryData<string, int> Networks() => new()
    {
        // file under marabou_onnx_zoo, total number of input scalars
        { "certificate_and_controller_mandal.onnx", 8 },
        { "concat/concat_axis_0.onnx", 32 },
        { "concat/concat_axis_1.onnx", 32 },
        { "concat/concat_axis_2.onnx", 32 },
        { "multiInput_add.onnx", 10 },
        { "sub_var_test.onnx", 20 },
    };

    static string Require(string file)
    {
        var path = Path.Combine(TestPaths.RequireBench(), "marabou_onnx_zoo", file);
        Skip.IfNot(File.Exists(path), $"{path} is not present");
        return path;
    }

    /// <summary>8 random points of [-1, 1]^N; agreement 1e-4 relative (ours in float32, as the bench agreement test).</summary>
    [SkippableTheory]
    [MemberData(nameof(Networks))]
    public void Imports_and_agrees_with_OnnxRuntime(string file, int inputs)
    {
        var path = Require(file);
        var g = OnnxImporter.Import(path);
        using var ort = new OnnxRuntimeModel(path);
        Assert.Equal(inputs, g.InputSize);
        Assert.Equal(inputs, ort.InputSize);
        Assert.True(ort.InputShapes.Count >= 2, $"{file} was expected to have several inputs");
        var xs = GraphAgreement.RandomPoints(Enumerable.Repeat(-1.0, inputs).ToArray(), Enumerable.Repeat(1.0, inputs).ToArray(), 8, 11);
        var r = GraphAgreement.Compare(g, ort, xs);
        Assert.True(r.MaxRelativeError <= 1e-4, $"{file}: max relative error {r.MaxRelativeError}");
    }

    /// <summary>Both inputs of multiInput_add matter: changing only the second one changes the output as ONNX Runtime says.</summary>
    [SkippableFact]
    public void Second_input_of_multiInput_add_reaches_the_output()
    {
        var path = Require("multiInput_add.onnx");
        var g = OnnxImporter.Import(path).To(ScalarType.Float64);
        using var ort = new OnnxRuntimeModel(path);
        var a = new double[] { 0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0 };
        var b = (double[])a.Clone();
        for (int i = 5; i < 10; i++) b[i] = -b[i];
        var ours = GraphAgreement.Evaluate(g, new[] { a, b }, ScalarType.Float64);
        Assert.NotEqual(ours[0], ours[1]);
        for (int k = 0; k < 2; k++)
        {
            var theirs = ort.Run(k == 0 ? a : b);
            for (int j = 0; j < theirs.Length; j++) Assert.Equal(theirs[j], ours[k][j], 1e-5);
        }
    }

    /// <summary>IBP and CROWN bounds of the outputs over [-1, 1]^N contain 1500 sampled outputs.</summary>
    [SkippableTheory]
    [InlineData("multiInput_add.onnx")]
    [InlineData("certificate_and_controller_mandal.onnx")]
    public void Bounds_contain_sampled_outputs(string file)
    {
        var graph = OnnxImporter.Import(Require(file)).To(ScalarType.Float64);
        int n = (int)graph.InputSize;
        var l = full(new long[] { 1, n }, -1.0, ScalarType.Float64);
        var u = full(new long[] { 1, n }, 1.0, ScalarType.Float64);
        var pts = BruteForce.Points(l, u, 1500, 7);
        foreach (var m in new[] { BoundMethod.Ibp, BoundMethod.Crown })
        {
            var engine = new BoundEngine(graph, new BoundOptions { Method = m, DType = ScalarType.Float64 });
            using var r = engine.Compute(l, u);
            double v = BruteForce.MaxViolation(graph, r, pts, null);
            Assert.True(v <= 1e-7, $"{file} {m}: a sampled point escapes a bound by {v}");
        }
    }
}
