using Certify.Bounds;
using Certify.Graph;
using Certify.Import;
using Certify.Runtime;
using Certify.Tests.Bounds;
using static TorchSharp.torch;

namespace Certify.Tests.Operators;

/// <summary>
/// Shared checks of the new operators: brute-force containment of IBP, CROWN, alpha-CROWN and forward-mode bounds (in
/// float32 and float64) over batches of boxes, agreement of an imported model with ONNX Runtime, and export round trips.
/// </summary>
internal static class OperatorChecks
{
    public static readonly BoundMethod[] Methods = { BoundMethod.Ibp, BoundMethod.Crown, BoundMethod.AlphaCrown };

    /// <summary>
    /// Allowed escape of a sampled value v: float64 1e-9·(1 + |v|); float32 1e-4·(1 + |v|), for the rounding of the
    /// float32 network itself (real unsoundness is orders of magnitude larger).
    /// </summary>
    static double Tolerance(ScalarType dtype) => dtype == ScalarType.Float64 ? 1e-9 : 1e-4;

    /// <summary>
    /// Bounds a batch of boxes (<c>[B, n]</c>, float64) of <paramref name="graph"/> (float64) with every method in
    /// <paramref name="dtype"/>, and asserts that every sampled point of each box (uniform samples and, for n ≤ 10, all
    /// corners), evaluated in float64, lies inside every node bound and every row bound of a random specification, and
    /// above the forward-mode row bounds.
    /// </summary>
    public static void AssertSound(ComputationGraph graph, Tensor lower, Tensor upper, ScalarType dtype, int seed, int samples = 400, bool forward = true)
    {
        AssertContained(graph, lower, upper, dtype, seed, samples, forward);
        // Concat has no forward rule: the variant with the input appended checks IBP and CROWN only.
        AssertContained(WithInput(graph), lower, upper, dtype, seed + 7, samples, forward: false);
    }

    static void AssertContained(ComputationGraph graph, Tensor lower, Tensor upper, ScalarType dtype, int seed, int samples, bool forward)
    {
        long batch = lower.shape[0];
        var c = randn(new[] { 6, graph.OutputSize }, ScalarType.Float64, generator: manual_seed(seed));
        double tol = Tolerance(dtype);
        var points = Enumerable.Range(0, (int)batch).Select(b => BruteForce.Points(lower[b], upper[b], samples, seed + 1 + b)).ToArray();
        var values = points.Select(p => graph.ForwardAll(p)).ToArray();
        foreach (var m in Methods)
        {
            var engine = new BoundEngine(graph, new BoundOptions { Method = m, DType = dtype, AlphaIterations = 5 });
            using var r = engine.Compute(lower, upper, c);
            Assert.False(r.Lower.isnan().any().item<bool>() || r.Upper.isnan().any().item<bool>(), $"{m} ({dtype}): NaN row bound");
            for (int b = 0; b < batch; b++)
            {
                var v = values[b];
                for (int i = 0; i < v.Length; i++)
                {
                    if (r.Node(i) is not { } iv) continue;
                    Escape(iv.Lower[b].to_type(ScalarType.Float64), iv.Upper[b].to_type(ScalarType.Float64), v[i], tol, $"{m} ({dtype}) box {b} node '{graph.Nodes[i].Name}'");
                }
                var cy = matmul(v[graph.OutputId].reshape(v[graph.OutputId].shape[0], -1), c.t());
                Escape(r.Lower[b].to_type(ScalarType.Float64), r.Upper[b].to_type(ScalarType.Float64), cy, tol, $"{m} ({dtype}) box {b} rows");
            }
        }
        if (!forward) return;
        var fwd = new BoundEngine(graph, new BoundOptions { Method = BoundMethod.Crown, DType = dtype }).ForwardLowerBounds(lower, upper, c);
        Assert.NotNull(fwd);
        for (int b = 0; b < batch; b++)
        {
            var cy = matmul(values[b][graph.OutputId].reshape(points[b].shape[0], -1), c.t());
            var min = cy.amin(new long[] { 0 });
            double escape = ((fwd![b].to_type(ScalarType.Float64) - min) / (1 + min.abs())).max().item<double>();
            Assert.True(escape <= tol, $"forward mode ({dtype}) box {b}: a sampled row value is below its bound by {escape:G3} (relative)");
        }
    }

    /// <summary>Asserts lo ≤ v ≤ hi (broadcast over the sample axis of v) up to tol·(1 + |v|).</summary>
    static void Escape(Tensor lo, Tensor hi, Tensor v, double tol, string what)
    {
        var scale = 1 + v.abs();
        double below = ((lo.unsqueeze(0) - v) / scale).max().item<double>();
        double above = ((v - hi.unsqueeze(0)) / scale).max().item<double>();
        Assert.True(below <= tol && above <= tol, $"{what}: a sampled value escapes its bound by {Math.Max(below, above):G3} (relative)");
    }

    /// <summary>
    /// Boxes <c>[count, n]</c> around random centres in [<paramref name="lo"/>, <paramref name="hi"/>] with radii up to
    /// <paramref name="radius"/>, every fourth degenerate (l = u), all clipped to [lo, hi]; then the <paramref name="pinned"/>
    /// boxes: each holds in every element an interval with one end exactly at that point (a singular point or kink) and
    /// the other inside [lo, hi].
    /// </summary>
    public static (Tensor L, Tensor U) Boxes(long n, int count, int seed, double lo, double hi, double radius, params double[] pinned)
    {
        var g = manual_seed(seed);
        var centre = lo + rand(new long[] { count, n }, ScalarType.Float64, generator: g) * (hi - lo);
        var r = rand(new long[] { count, n }, ScalarType.Float64, generator: g) * radius;
        for (int k = 0; k < count; k += 4) r[k] = zeros(n, ScalarType.Float64);
        var l = (centre - r).clamp(lo, hi); var u = (centre + r).clamp(lo, hi);
        var ls = new List<Tensor> { l }; var us = new List<Tensor> { u };
        foreach (var p in pinned)
        {
            var other = lo + rand(new long[] { 1, n }, ScalarType.Float64, generator: g) * (hi - lo);
            var pt = full(new long[] { 1, n }, p, ScalarType.Float64);
            ls.Add(minimum(pt, other)); us.Add(maximum(pt, other));
            // Degenerate at the point itself too.
            ls.Add(pt); us.Add(pt.clone());
        }
        return (cat(ls.ToArray()), cat(us.ToArray()));
    }

    /// <summary>
    /// <paramref name="graph"/> with its input appended to its output (both flattened and concatenated): random rows then
    /// mix the op's output with its input, so that a relaxation line that is invalid at some point of the box (but whose
    /// maximum over the box is still above the function's) makes some row bound fail. Without the input, a row of one
    /// op's outputs is bounded by each line's extreme over the box, which can hide such a line.
    /// </summary>
    public static ComputationGraph WithInput(ComputationGraph graph)
    {
        var b = new GraphBuilder(graph.InputShape);
        var map = new int[graph.Nodes.Count];
        foreach (var n in graph.Nodes.Skip(1)) map[n.Id] = b.Add(n.Op, n.Name, n.Origin, n.Inputs.Select(k => map[k]).ToArray());
        int y = b.Add(new Certify.Operators.ReshapeOp(new[] { graph.OutputSize }), "out:flat", "test", map[graph.OutputId]);
        int x = b.Add(new Certify.Operators.ReshapeOp(new[] { graph.InputSize }), "in:flat", "test", 0);
        return b.Build(b.Add(new Certify.Operators.ConcatOp(0), "out+in", "test", y, x));
    }

    /// <summary>A graph of one op applied to an input of shape <paramref name="shape"/>.</summary>
    public static ComputationGraph Single(Op op, params long[] shape)
    {
        var b = new GraphBuilder(shape);
        return b.Build(b.Add(op, "op", "test", 0));
    }

    /// <summary>
    /// Linear(3 → 6) → op → Linear(6 → 2), with the first layer's output shifted by <paramref name="shift"/> and scaled
    /// by <paramref name="scale"/> so that, on boxes of radius up to 0.5 around [-1, 1]³ points, it stays inside the
    /// op's domain.
    /// </summary>
    public static ComputationGraph Deep(Func<Op> op, int seed, double shift = 0, double scale = 1)
    {
        var g = manual_seed(seed);
        var b = new GraphBuilder(new long[] { 3 });
        int x = b.Add(new Certify.Operators.LinearOp(randn(new long[] { 6, 3 }, ScalarType.Float64, generator: g) * scale,
            randn(new long[] { 6 }, ScalarType.Float64, generator: g) * 0.3 * scale + shift), "fc1", "test", 0);
        x = b.Add(op(), "op", "test", x);
        x = b.Add(new Certify.Operators.LinearOp(randn(new long[] { 2, 6 }, ScalarType.Float64, generator: g), null), "fc2", "test", x);
        return b.Build(x);
    }

    /// <summary>Asserts that the imported model agrees with ONNX Runtime on random points of [lo, hi]^n (scaled error ≤ tol).</summary>
    public static ComputationGraph AssertAgreesWithOrt(byte[] model, double lo, double hi, double tol = 1e-5, int points = 8)
    {
        var path = Path.Combine(Path.GetTempPath(), $"certify-newop-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model);
        try
        {
            var g = OnnxImporter.Import(path);
            using var ort = new OnnxRuntimeModel(path);
            var xs = GraphAgreement.RandomPoints(Enumerable.Repeat(lo, (int)g.InputSize).ToArray(), Enumerable.Repeat(hi, (int)g.InputSize).ToArray(), points, 5);
            var r = GraphAgreement.Compare(g, ort, xs);
            Assert.True(r.MaxScaledError <= tol, $"imported graph vs ONNX Runtime: scaled error {r.MaxScaledError:G3}");
            var r64 = GraphAgreement.Compare(g, ort, xs, ScalarType.Float64);
            Assert.True(r64.MaxScaledError <= tol, $"imported graph (float64) vs ONNX Runtime: scaled error {r64.MaxScaledError:G3}");
            return g;
        }
        finally { File.Delete(path); }
    }

    /// <summary>
    /// Exports <paramref name="graph"/>, runs the file in ONNX Runtime and re-imports it: both must compute the same
    /// function as the graph on random points of [lo, hi]^n. Returns the re-imported graph.
    /// </summary>
    public static ComputationGraph AssertExportRoundTrip(ComputationGraph graph, double lo, double hi, double tol = 1e-5)
    {
        var path = Path.Combine(Path.GetTempPath(), $"certify-newop-export-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExporter.Export(graph, path);
            var back = OnnxImporter.Import(path);
            Assert.Equal(graph.InputShape, back.InputShape);
            Assert.Equal(graph.OutputShape, back.OutputShape);
            var xs = GraphAgreement.RandomPoints(Enumerable.Repeat(lo, (int)graph.InputSize).ToArray(), Enumerable.Repeat(hi, (int)graph.InputSize).ToArray(), 6, 9);
            using var ort = new OnnxRuntimeModel(path);
            var original = GraphAgreement.Evaluate(graph, xs, ScalarType.Float64);
            var reimported = GraphAgreement.Evaluate(back, xs, ScalarType.Float64);
            var theirs = ort.RunBatch(xs);
            for (int i = 0; i < xs.Count; i++)
                for (int k = 0; k < original[i].Length; k++)
                {
                    double scale = 1 + Math.Abs(original[i][k]);
                    Assert.True(Math.Abs(original[i][k] - reimported[i][k]) / scale <= tol, $"re-imported graph differs at point {i}, output {k}: {reimported[i][k]} vs {original[i][k]}");
                    Assert.True(Math.Abs(original[i][k] - theirs[i][k]) / scale <= tol, $"ONNX Runtime on the exported file differs at point {i}, output {k}: {theirs[i][k]} vs {original[i][k]}");
                }
            return back;
        }
        finally { File.Delete(path); }
    }
}
