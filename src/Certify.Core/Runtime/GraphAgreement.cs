using Certify.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Runtime;

/// <summary>Result of comparing an imported graph with ONNX Runtime on sample inputs.</summary>
/// <param name="MaxRelativeError">max over samples and outputs of |ours − ort| / max(1, |ort|).</param>
/// <param name="MaxAbsoluteError">max |ours − ort|.</param>
/// <param name="Samples">Number of inputs compared.</param>
/// <param name="MaxScaledError">
/// max over samples and outputs k of |ours_k − ort_k| / (max(1, |ort_k|) + 0.01·max_j |ort_j|): the relative error with
/// an allowance for float32 cancellation at the scale of the whole output vector (an output near 0 computed as the
/// difference of terms of size 1e4 carries float32 rounding of about 1e-3). "Agrees to 1e-4" means this is ≤ 1e-4,
/// i.e. |ours_k − ort_k| ≤ 1e-4·max(1, |ort_k|) + 1e-6·max_j |ort_j|.
/// </param>
public sealed record AgreementResult(double MaxRelativeError, double MaxAbsoluteError, int Samples, double MaxScaledError);

/// <summary>Runs a <see cref="ComputationGraph"/> and ONNX Runtime on the same inputs and measures how far they differ.</summary>
public static class GraphAgreement
{
    /// <summary>Evaluates <paramref name="graph"/> on flat inputs (each of <c>InputSize</c> values) in <paramref name="dtype"/>; returns flat outputs.</summary>
    public static double[][] Evaluate(ComputationGraph graph, IReadOnlyList<double[]> xs, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var g = graph.To(dtype);
        var x = torch.tensor(xs.SelectMany(v => v).ToArray(), new[] { (long)xs.Count, graph.InputSize }, ScalarType.Float64).to_type(dtype);
        using var _ = torch.no_grad();
        var y = g.Forward(x).to_type(ScalarType.Float64).reshape(xs.Count, -1).contiguous();
        var flat = y.data<double>().ToArray();
        int per = (int)(flat.Length / xs.Count);
        return Enumerable.Range(0, xs.Count).Select(i => flat.AsSpan(i * per, per).ToArray()).ToArray();
    }

    /// <summary>Compares <paramref name="graph"/> (evaluated in <paramref name="dtype"/>) with <paramref name="reference"/> on <paramref name="xs"/>.</summary>
    public static AgreementResult Compare(ComputationGraph graph, OnnxRuntimeModel reference, IReadOnlyList<double[]> xs, ScalarType dtype = ScalarType.Float32)
    {
        if (graph.InputSize != reference.InputSize)
            throw new ArgumentException($"the graph takes {graph.InputSize} inputs but ONNX Runtime's model takes {reference.InputSize}");
        var ours = Evaluate(graph, xs, dtype);
        var theirs = reference.RunBatch(xs);
        double rel = 0, abs = 0, scaled = 0;
        for (int i = 0; i < xs.Count; i++)
        {
            if (ours[i].Length != theirs[i].Length)
                throw new ArgumentException($"the graph gives {ours[i].Length} outputs but ONNX Runtime gives {theirs[i].Length}");
            double scale = theirs[i].Select(Math.Abs).DefaultIfEmpty(0).Max();
            for (int k = 0; k < ours[i].Length; k++)
            {
                double d = Math.Abs(ours[i][k] - theirs[i][k]);
                if (double.IsNaN(d)) d = double.IsNaN(ours[i][k]) && double.IsNaN(theirs[i][k]) ? 0 : double.PositiveInfinity;
                abs = Math.Max(abs, d);
                rel = Math.Max(rel, d / Math.Max(1, Math.Abs(theirs[i][k])));
                scaled = Math.Max(scaled, d / (Math.Max(1, Math.Abs(theirs[i][k])) + 0.01 * scale));
            }
        }
        return new AgreementResult(rel, abs, xs.Count, scaled);
    }

    /// <summary><paramref name="count"/> uniform random points in the box [lo, hi] (per coordinate).</summary>
    public static List<double[]> RandomPoints(double[] lo, double[] hi, int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => lo.Select((l, i) => l + rng.NextDouble() * (hi[i] - l)).ToArray()).ToList();
    }
}
