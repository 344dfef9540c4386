using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Exact;

/// <summary>
/// Reads the exact sparse matrix and offset of a single-input affine op (Linear, Conv, ConvTranspose, Affine, AvgPool,
/// Reduce, Reshape, Transpose, Slice, Gather, Pad) by running it on the zero input and on unit vectors in float64:
/// <c>y = A·x + b</c> with <c>b = f(0)</c> and column i of A equal to <c>f(eᵢ) − f(0)</c>. Multiplying by 1 and adding
/// zeros is exact in floating point, so the coefficients are the op's own weights. One code path serves every affine
/// op kind, including their padding, stride and layout conventions. Biases are stripped before the unit-vector runs so
/// that no coefficient is computed as a difference <c>(w + b) − b</c>, which would lose small weights.
/// </summary>
public static class AffineProbe
{
    /// <summary>Row j lists the (input index, coefficient) pairs of output j; <c>Offset[j]</c> is its constant.</summary>
    public sealed record SparseAffine(List<(int Input, double Coef)>[] Rows, double[] Offset);

    /// <summary>Probes <paramref name="op"/> (parameters already float64) on per-sample input shape <paramref name="inShape"/>.</summary>
    public static SparseAffine Probe(Op op, long[] inShape)
    {
        using var scope = NewDisposeScope();
        int n = checked((int)inShape.Aggregate(1L, (a, b) => a * b));
        var offset = op.Forward(new[] { zeros(ComputationGraph.ShapeWithBatch(1, inShape), dtype: ScalarType.Float64) })
            .reshape(-1).data<double>().ToArray();
        int m = offset.Length;
        var linear = WithoutBias(op);
        // Pad's constant value stays in the bias-free op; subtracting it is exact (value − value, 1 − 0, 0 − 0).
        var linearOffset = ReferenceEquals(linear, op) ? offset
            : linear.Forward(new[] { zeros(ComputationGraph.ShapeWithBatch(1, inShape), dtype: ScalarType.Float64) }).reshape(-1).data<double>().ToArray();
        var rows = new List<(int, double)>[m];
        for (int j = 0; j < m; j++) rows[j] = new List<(int, double)>();
        // Chunk the unit vectors so that one probe batch stays around 4M doubles.
        int chunk = Math.Max(1, Math.Min(n, 4_000_000 / Math.Max(1, Math.Max(n, m))));
        for (int c0 = 0; c0 < n; c0 += chunk)
        {
            using var inner = NewDisposeScope();
            int k = Math.Min(chunk, n - c0);
            var basis = new double[k * n];
            for (int r = 0; r < k; r++) basis[r * n + c0 + r] = 1;
            var x = tensor(basis, ComputationGraph.ShapeWithBatch(k, inShape)); // [k, *inShape]
            var y = linear.Forward(new[] { x }).reshape(k, m).data<double>().ToArray(); // [k, m]
            for (int r = 0; r < k; r++)
                for (int j = 0; j < m; j++)
                {
                    double v = y[r * m + j] - linearOffset[j];
                    if (v != 0) rows[j].Add((c0 + r, v));
                }
        }
        return new SparseAffine(rows, offset);
    }

    /// <summary>The same op with its additive constant removed (the op itself when it has none).</summary>
    static Op WithoutBias(Op op) => op switch
    {
        Certify.Operators.LinearOp l when l.Bias is not null => new Certify.Operators.LinearOp(l.Weight, null),
        Certify.Operators.ConvOp c when c.Bias is not null => new Certify.Operators.ConvOp(c.Weight, null, c.Strides, c.Pads, c.Dilations, c.Groups),
        Certify.Operators.ConvTransposeOp t when t.Bias is not null => new Certify.Operators.ConvTransposeOp(t.Weight, null, t.Strides, t.Pads, t.OutputPadding, t.Dilations, t.Groups),
        Certify.Operators.AffineOp a when a.Shift is not null => new Certify.Operators.AffineOp(a.Scale, null),
        _ => op
    };
}
