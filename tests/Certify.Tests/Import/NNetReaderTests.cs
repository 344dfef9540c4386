using Certify.Import;
using Certify.Operators;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Certify.Tests.Import;

/// <summary>The .nnet reader: structure, errors, and agreement with the VNN-COMP ONNX versions run in ONNX Runtime.</summary>
public sealed class NNetReaderTests(ITestOutputHelper output)
{
    // A 2-3-1 network: inputs (a, b); hidden relu(a + b - 1), relu(a - b), relu(-a + 2b + 0.5); output h0 + 2 h1 - h2 + 0.25.
    const string Tiny = """
        // a comment
        // another comment
        2,2,1,3,
        2,3,1,
        0,
        0.0,-1.0,
        10.0,1.0,
        1.0,0.0,5.0,
        2.0,4.0,10.0,
        1.0,1.0,
        1.0,-1.0,
        -1.0,2.0,
        -1.0,
        0.0,
        0.5,
        1.0,2.0,-1.0,
        0.25,
        """;

    static double TinyOutput(double a, double b) =>
        Math.Max(a + b - 1, 0) + 2 * Math.Max(a - b, 0) - Math.Max(-a + 2 * b + 0.5, 0) + 0.25;

    static double[] Run(Certify.Graph.ComputationGraph g, double[] x)
    {
        using var scope = NewDisposeScope();
        var y = g.Forward(tensor(x, ScalarType.Float64).reshape(1, x.Length));
        return y.data<double>().ToArray();
    }

    [Fact]
    public void TinyNetworkStructureAndValues()
    {
        var net = NNetReader.Load(new StringReader(Tiny), "tiny.nnet");
        Assert.Equal(new[] { 2, 3, 1 }, net.LayerSizes);
        Assert.Equal(new[] { 0.0, -1 }, net.InputMinimums);
        Assert.Equal(new[] { 10.0, 1 }, net.InputMaximums);
        Assert.Equal(new[] { 1.0, 0 }, net.InputMeans);
        Assert.Equal(new[] { 2.0, 4 }, net.InputRanges);
        Assert.Equal((5.0, 10.0), (net.OutputMean, net.OutputRange));

        var g = NNetReader.ToGraph(net);
        Assert.Equal(new[] { "Input", "Linear", "Relu", "Linear" }, g.Nodes.Select(n => n.Op.Kind));
        foreach (var (a, b) in new[] { (0.3, 0.9), (-1.0, 2.0), (2.0, 0.25), (0.0, 0.0) })
            Assert.Equal(TinyOutput(a, b), Run(g, new[] { a, b })[0], 1e-12);

        // Raw units: normalise (x - mean) / range, no clipping (15 is above the maximum 10), and denormalise the output.
        var raw = NNetReader.ToGraph(net, rawUnits: true);
        Assert.Equal(new[] { "Input", "Affine", "Linear", "Relu", "Linear", "Affine" }, raw.Nodes.Select(n => n.Op.Kind));
        foreach (var (a, b) in new[] { (15.0, 3.0), (1.0, 0.0), (-4.0, -8.0) })
            Assert.Equal(TinyOutput((a - 1) / 2, b / 4) * 10 + 5, Run(raw, new[] { a, b })[0], 1e-12);
    }

    [Theory]
    [InlineData("2,2,1,3,\n2,3,1,\n0,\n0.0,-1.0,\n10.0,1.0,\n1.0,0.0,5.0,\n2.0,4.0,10.0,\n1.0,1.0,\n1.0,-1.0,\n-1.0,\n", 10, "weight row 3 of layer 1 (2 values): expected 2 values, found 1")]
    [InlineData("2,2,1,3,\n2,3,1,\n0,\n0.0,-1.0,\n10.0,x,\n", 5, "input maximums (2 values): value 2 ('x') is not a finite number")]
    [InlineData("// only a comment\n", 1, "file ends before the header")]
    [InlineData("2,2,1,3,\n2,4,2,\n", 2, "layer sizes start with 2 and end with 2 but the header (line 1) says 2 inputs and 1 outputs")]
    [InlineData("2,2,2,3,\n2,3,1,\n", 2, "the header (line 1) says 2 inputs and 2 outputs")]
    [InlineData("2,2,1,3,\n2,3,1,\n0,\n0.0,-1.0,\n10.0,1.0,\n1.0,0.0,5.0,\n2.0,4.0,\n", 7, "the ranges (2 inputs + 1 output): expected 3 values, found 2")]
    [InlineData("2.5,2,1,3,\n", 1, "expected non-negative integers")]
    public void MalformedFilesGiveLineNumbers(string text, int line, string problem)
    {
        var e = Assert.Throws<NNetException>(() => NNetReader.Load(new StringReader(text), "bad.nnet"));
        Assert.Equal(line, e.Line);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith($"bad.nnet:{line}: ", e.Message);
    }

    [Fact]
    public void TruncatedAndOverlongFilesAreReported()
    {
        var lines = Tiny.Split('\n');
        var truncated = string.Join('\n', lines[..^1]);
        var e = Assert.Throws<NNetException>(() => NNetReader.Load(new StringReader(truncated), "t.nnet"));
        Assert.Contains("file ends before bias 1 of layer 2", e.Message);
        e = Assert.Throws<NNetException>(() => NNetReader.Load(new StringReader(Tiny + "\n1.0,\n"), "t.nnet"));
        Assert.Contains("unexpected content after the last layer's biases", e.Message);
        Assert.Equal(lines.Length + 1, e.Line);
    }

    /// <summary>
    /// Every ACAS Xu .nnet network computes what its VNN-COMP ONNX version computes in ONNX Runtime (float32), on random
    /// normalised inputs: the ONNX files contain no input or output normalisation, so neither does the graph.
    /// </summary>
    [SkippableFact]
    public void AcasXuNetworksMatchOnnxRuntime()
    {
        var bench = TestPaths.RequireBench();
        var nnets = Directory.GetFiles(Path.Combine(bench, "marabou_acasxu_nnet", "nnet"), "ACASXU_experimental_v2a_*.nnet").Order().ToList();
        Assert.Equal(45, nnets.Count);
        var rng = new Random(12345);
        double worst = 0;
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        foreach (var nnetPath in nnets)
        {
            var id = Path.GetFileNameWithoutExtension(nnetPath)["ACASXU_experimental_v2a_".Length..];
            var onnxPath = Path.Combine(bench, "acasxu", "onnx", $"ACASXU_run2a_{id}_batch_2000.onnx");
            var graph = NNetReader.Read(nnetPath).To(ScalarType.Float32);
            Assert.Equal(new long[] { 5 }, graph.InputShape);
            Assert.Equal(5, graph.OutputSize);
            Assert.Equal(6, graph.Nodes.Count(n => n.Op is ReluOp));
            using var session = new InferenceSession(onnxPath, options);
            var (inputName, meta) = session.InputMetadata.Single();
            var shape = meta.Dimensions.Select(d => d <= 0 ? 1 : d).ToArray();
            for (int s = 0; s < 20; s++)
            {
                var x = Enumerable.Range(0, 5).Select(_ => (float)(rng.NextDouble() * 1.4 - 0.7)).ToArray();
                using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(x, shape)) });
                var expected = results.Single().AsEnumerable<float>().ToArray();
                float[] ours;
                using (NewDisposeScope())
                    ours = graph.Forward(tensor(x).reshape(1, 5)).data<float>().ToArray();
                Assert.Equal(expected.Length, ours.Length);
                double scale = Math.Max(1, expected.Max(v => Math.Abs(v)));
                for (int j = 0; j < ours.Length; j++)
                {
                    double err = Math.Abs(ours[j] - expected[j]) / scale;
                    worst = Math.Max(worst, err);
                    Assert.True(err <= 1e-4, $"{Path.GetFileName(nnetPath)} output {j}: {ours[j]} vs ONNX Runtime {expected[j]}");
                }
            }
        }
        output.WriteLine($"45 networks x 20 inputs: worst relative difference {worst:E2}");
    }
}
