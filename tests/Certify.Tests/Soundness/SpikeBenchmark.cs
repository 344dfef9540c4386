using Certify.Graph;
using Certify.Import;
using Certify.Operators;
using Certify.Soundness;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Tests.Soundness;

/// <summary>
/// A hand-built soundness benchmark whose truth is known exactly. The network on [0, 1]⁴ is
/// <c>y_0 = 0.1 − K·relu(r − ‖x − p‖₁)</c>, <c>y_1 = 0</c>: the unsafe set <c>y_0 ≤ y_1</c> is a tiny L1 ball around p, and
/// outside the radius r the output is flat, so gradient attacks have nothing to follow. Instance "a" (box [0, 1]⁴) holds
/// the planted point p; instance "b" (box [0, 0.5]⁴, far from p) is a control that truly holds.
/// </summary>
public static class SpikeBenchmark
{
    public static readonly double[] Point = { 0.9, 0.85, 0.8, 0.9 };
    const double Radius = 0.02, K = 100;

    public static ComputationGraph Network()
    {
        var p = tensor(Point, dtype: ScalarType.Float32);
        var b = new GraphBuilder(new long[] { 4 });
        // [x - p; p - x] then relu: |x_i - p_i| as two halves.
        var w1 = cat(new[] { eye(4, dtype: ScalarType.Float32), -eye(4, dtype: ScalarType.Float32) }, 0);
        int h = b.Add(new LinearOp(w1, cat(new[] { -p, p }, 0)), "abs", "test", 0);
        h = b.Add(new ReluOp(), "abs_relu", "test", h);
        int t = b.Add(new LinearOp(full(1, 8, -1f), tensor(new[] { (float)Radius })), "inside", "test", h);
        t = b.Add(new ReluOp(), "inside_relu", "test", t);
        int y = b.Add(new LinearOp(tensor(new[] { (float)-K, 0f }).reshape(2, 1), tensor(new[] { 0.1f, 0f })), "out", "test", t);
        return b.Build(y);
    }

    /// <summary>Writes the benchmark into <paramref name="dir"/> (VNN-COMP layout plus the private manifest).</summary>
    public static string Create(string dir, double timeout = 30)
    {
        foreach (var sub in new[] { "onnx", "vnnlib", BenchmarkManifest.Folder }) Directory.CreateDirectory(Path.Combine(dir, sub));
        OnnxExporter.Export(Network(), Path.Combine(dir, "onnx/spike.onnx"));
        var unsafeRow = new OutputCondition(new[] { new Conjunction(new[] { new HalfSpace(new[] { 1.0, -1.0 }, 0) }) });
        var planted = new InputRegion(new double[4], Enumerable.Repeat(1.0, 4).ToArray(), unsafeRow);
        var control = new InputRegion(new double[4], Enumerable.Repeat(0.5, 4).ToArray(), unsafeRow);
        VnnLibWriter.Write(new Specification(new[] { planted }, 4, 2), Path.Combine(dir, "vnnlib/spike_a.vnnlib"));
        VnnLibWriter.Write(new Specification(new[] { control }, 4, 2), Path.Combine(dir, "vnnlib/spike_b.vnnlib"));
        var y = Network().Forward(tensor(Point, dtype: ScalarType.Float32).unsqueeze(0)).flatten().to_type(ScalarType.Float64).data<double>().ToArray();
        ResultFile.Write(Path.Combine(dir, "counterexamples/spike_a.counterexample"), ResultStatus.Sat, Point, y);
        BenchmarkInstance.WriteAll(dir, new[] { new BenchmarkInstance("onnx/spike.onnx", "vnnlib/spike_a.vnnlib", timeout), new BenchmarkInstance("onnx/spike.onnx", "vnnlib/spike_b.vnnlib", timeout) });
        BenchmarkManifest.Write(BenchmarkManifest.PathIn(dir), new[]
        {
            new ManifestEntry("vnnlib/spike_a.vnnlib", "onnx/spike.onnx", BenchmarkManifest.Planted, "sat", "counterexamples/spike_a.counterexample", y[0] - y[1], "hand-built", double.NaN, 0),
            new ManifestEntry("vnnlib/spike_b.vnnlib", "onnx/spike.onnx", BenchmarkManifest.Control, "unsat", "", double.NaN, "hand-built", double.NaN, 0),
        });
        return dir;
    }

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "certify-soundness-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }
}
