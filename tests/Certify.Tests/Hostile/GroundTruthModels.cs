using System.Globalization;
using Certify.Tests.Import;

namespace Certify.Tests.Hostile;

/// <summary>
/// The networks and properties of the hostile corpus whose answers are known by hand, so that any verdict the corpus
/// gets can be checked against the truth. The network is <c>y0 = relu(s·(x0 + x1))</c>, <c>y1 = relu(s·(x0 − x1))</c>
/// on the box <c>[0, 1]²</c>, so <c>y0 ∈ [0, 2s]</c> and <c>y1 ∈ [0, s]</c>, with every maximum reached at a corner.
/// </summary>
internal static class GroundTruthModels
{
    /// <summary>The first layer's weights, row-major <c>[2, 2]</c>, scaled by <paramref name="scale"/>.</summary>
    public static float[] W1(float scale = 1) => new[] { scale, scale, scale, -scale };

    /// <summary>The ONNX model: Gemm (W1, b1) → Relu → Gemm (identity W2, zero b2). Initializer and node names are fixed for the mutations.</summary>
    public static OnnxTestModel Onnx(float[]? w1 = null, float[]? b1 = null, float[]? w2 = null, long opset = 13)
    {
        var m = new OnnxTestModel(new long[] { 1, 2 }, opset: opset);
        m.Init("W1", w1 ?? W1(), 2, 2).Init("b1", b1 ?? new float[] { 0, 0 }, 2)
         .Init("W2", w2 ?? new float[] { 1, 0, 0, 1 }, 2, 2).Init("b2", new float[] { 0, 0 }, 2);
        m.Node("Gemm", "gemm1", new[] { "x", "W1", "b1" }, "h", OnnxTestModel.Int("transB", 1));
        m.Node("Relu", "relu1", new[] { "h" }, "r");
        m.Node("Gemm", "gemm2", new[] { "r", "W2", "b2" }, "y", OnnxTestModel.Int("transB", 1));
        return m;
    }

    /// <summary>The serialised ONNX bytes of <see cref="Onnx"/>.</summary>
    public static byte[] OnnxBytes(float scale = 1) => Onnx(W1(scale)).Bytes("y", new long[] { 1, 2 });

    /// <summary>The same network as an <c>.nnet</c> file (normalisation means 0, ranges 1: the layers see the raw inputs).</summary>
    public static string NNet(double scale = 1, string? w00 = null)
    {
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        return string.Join("\n",
            "// hostile-corpus ground truth: y0 = relu(x0 + x1), y1 = relu(x0 - x1)",
            "2,2,2,2,",
            "2,2,2,",
            "0,",
            "0.0,0.0,",
            "1.0,1.0,",
            "0.0,0.0,0.0,",
            "1.0,1.0,1.0,",
            $"{w00 ?? F(scale)},{F(scale)},",
            $"{F(scale)},{F(-scale)},",
            "0.0,",
            "0.0,",
            "1.0,0.0,",
            "0.0,1.0,",
            "0.0,",
            "0.0,") + "\n";
    }

    /// <summary>
    /// A property over the box <c>[0,1]²</c> whose unsafe set is <paramref name="unsafeAssertion"/> (a VNNLIB formula over
    /// Y_0, Y_1), with optional line ending and a byte-order mark.
    /// </summary>
    public static string Property(string unsafeAssertion, string newline = "\n", double lo = 0, double hi = 1)
    {
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        return string.Join(newline,
            "; hostile-corpus property",
            "(declare-const X_0 Real)",
            "(declare-const X_1 Real)",
            "(declare-const Y_0 Real)",
            "(declare-const Y_1 Real)",
            $"(assert (>= X_0 {F(lo)}))",
            $"(assert (<= X_0 {F(hi)}))",
            $"(assert (>= X_1 {F(lo)}))",
            $"(assert (<= X_1 {F(hi)}))",
            $"(assert {unsafeAssertion})") + newline;
    }

    /// <summary>Unsafe when y0 reaches 2.5: unreachable (max y0 = 2), so the answer is unsat.</summary>
    public const string Unreachable = "(>= Y_0 2.5)";

    /// <summary>Unsafe when y0 reaches 1.5: reached near (1, 1), so the answer is sat.</summary>
    public const string Reachable = "(>= Y_0 1.5)";
}
