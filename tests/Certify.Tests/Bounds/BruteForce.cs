using Certify.Bounds;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Tests.Bounds;

/// <summary>Checks computed bounds against the network evaluated at many points of the box (and its corners).</summary>
public static class BruteForce
{
    /// <summary>Uniform samples of the box <c>[n]</c> plus all corners when n ≤ 10: <c>[N, n]</c> (float64).</summary>
    public static Tensor Points(Tensor lower, Tensor upper, int samples, int seed)
    {
        var g = manual_seed(seed);
        long n = lower.numel();
        var l = lower.reshape(1, n).to_type(ScalarType.Float64);
        var u = upper.reshape(1, n).to_type(ScalarType.Float64);
        var pts = l + rand(new long[] { samples, n }, ScalarType.Float64, generator: g) * (u - l);
        if (n <= 10)
        {
            long count = 1L << (int)n;
            var bits = arange(count, dtype: ScalarType.Int64).unsqueeze(1).bitwise_right_shift(arange(n, dtype: ScalarType.Int64)).bitwise_and(1).to_type(ScalarType.Float64);
            pts = cat(new[] { pts, l + bits * (u - l) }, 0);
        }
        return pts;
    }

    /// <summary>
    /// Largest amount by which any sampled value escapes its bound: every node bound in <paramref name="result"/>
    /// (sub-problem <paramref name="b"/>) and every row of <c>C·y</c>. <paramref name="keep"/> filters the points
    /// (e.g. those satisfying a split); graph must be float64.
    /// </summary>
    public static double MaxViolation(ComputationGraph graph, BoundResult result, Tensor points, Tensor? c, int b = 0, Func<Tensor[], Tensor>? keep = null)
    {
        // Chunks keep the memory of all node values bounded on large networks.
        double worst = 0;
        long chunk = Math.Max(16, 4_000_000 / Math.Max(1, graph.Nodes.Sum(n => n.Size)));
        for (long s = 0; s < points.shape[0]; s += chunk)
            worst = Math.Max(worst, MaxViolationChunk(graph, result, points.narrow(0, s, Math.Min(chunk, points.shape[0] - s)), c, b, keep));
        return worst;
    }

    static double MaxViolationChunk(ComputationGraph graph, BoundResult result, Tensor points, Tensor? c, int b, Func<Tensor[], Tensor>? keep)
    {
        using var scope = NewDisposeScope();
        var values = graph.ForwardAll(points);
        var sel = keep?.Invoke(values);
        double worst = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (result.Node(i) is not { } iv) continue;
            var v = sel is null ? values[i] : values[i][sel];
            if (v.shape[0] == 0) continue;
            var lo = iv.Lower[b].to_type(ScalarType.Float64).unsqueeze(0);
            var hi = iv.Upper[b].to_type(ScalarType.Float64).unsqueeze(0);
            worst = Math.Max(worst, (lo - v).max().item<double>());
            worst = Math.Max(worst, (v - hi).max().item<double>());
        }
        var y = (sel is null ? values[graph.OutputId] : values[graph.OutputId][sel]).flatten(1);
        if (y.shape[0] == 0) return worst;
        var cy = c is null ? y : matmul(y, c.to_type(ScalarType.Float64).t());
        var rl = result.Lower[b].to_type(ScalarType.Float64).unsqueeze(0);
        var ru = result.Upper[b].to_type(ScalarType.Float64).unsqueeze(0);
        worst = Math.Max(worst, (rl - cy).max().item<double>());
        worst = Math.Max(worst, (cy - ru).max().item<double>());
        return worst;
    }
}
