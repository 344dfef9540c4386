using Certify.Exact;

namespace Certify.Operators;

/// <summary>
/// Exact encodings of the piecewise operators, through the model's ReLU and max constraints:
/// <c>|x| = 2·relu(x) − x</c>, <c>max(a, b) = a + relu(b − a)</c>, <c>min(a, b) = a − relu(a − b)</c>, ReduceMax one max
/// constraint per group, ReduceMin a chain of pairwise minima per group (the context's max works on input elements,
/// not on their negations).
/// </summary>
internal static class PiecewiseExact
{
    public static LinExpr[] Abs(IExactEncodingContext node) =>
        ExactEncoding.Elementwise(node, (x, l, u, name) => LinExpr.Combine(new[] { x, node.Relu(x, l, u, name) }, new[] { -1.0, 2.0 }, 0));

    public static LinExpr[] PairExtremum(IExactEncodingContext node, bool max)
    {
        var a = node.Input(0); var b = node.Input(1);
        long size = node.Node.Size;
        if (a.Count != size || b.Count != size)
            throw node.NotSupported($"operands of sizes {a.Count} and {b.Count} broadcast; only equal shapes are encoded");
        var outp = new LinExpr[size];
        for (int j = 0; j < outp.Length; j++)
        {
            // d = b − a for max, a − b for min; its bounds: the expression's own interval, within the operands' bounds.
            var d = max ? b[j] - a[j] : a[j] - b[j];
            var (il, iu) = node.Interval(d);
            double dl = max ? node.InputLower(1, j) - node.InputUpper(0, j) : node.InputLower(0, j) - node.InputUpper(1, j);
            double du = max ? node.InputUpper(1, j) - node.InputLower(0, j) : node.InputUpper(0, j) - node.InputLower(1, j);
            var r = node.Relu(d, Math.Max(il, dl), Math.Min(iu, du), node.ElementName(j));
            outp[j] = max ? a[j] + r : a[j] - r;
        }
        return outp;
    }

    public static LinExpr[] ReduceExtremum(IExactEncodingContext node, long[] axes, bool max)
    {
        var inShape = node.InputShape(0);
        var strides = new long[inShape.Length];
        for (int i = inShape.Length - 1, s = 1; i >= 0; s *= (int)inShape[i], i--) strides[i] = s;
        var kept = Enumerable.Range(0, inShape.Length).Where(i => !axes.Contains(i)).ToArray();
        // Group g (kept axes in row-major order, the output's order) holds the inputs that differ only on the reduced axes.
        var groups = new Dictionary<long, List<int>>();
        var src = node.Input(0);
        for (int flat = 0; flat < src.Count; flat++)
        {
            long g = 0, rest = flat;
            var index = new long[inShape.Length];
            for (int i = 0; i < inShape.Length; i++) { index[i] = rest / strides[i]; rest %= strides[i]; }
            foreach (var k in kept) g = g * inShape[k] + index[k];
            (groups.TryGetValue(g, out var list) ? list : groups[g] = new List<int>()).Add(flat);
        }
        var outp = new LinExpr[node.Node.Size];
        for (int g = 0; g < outp.Length; g++)
        {
            var members = groups[g];
            if (max) { outp[g] = node.Max(0, members.ToArray(), node.ElementName(g)); continue; }
            // min over the group: m ← m − relu(m − x), exact at each step.
            var m = src[members[0]];
            double ml = node.InputLower(0, members[0]), mu = node.InputUpper(0, members[0]);
            for (int k = 1; k < members.Count; k++)
            {
                var x = src[members[k]];
                double xl = node.InputLower(0, members[k]), xu = node.InputUpper(0, members[k]);
                var d = m - x;
                var (il, iu) = node.Interval(d);
                m = m - node.Relu(d, Math.Max(il, ml - xu), Math.Min(iu, mu - xl), $"{node.ElementName(g)}.{k}");
                (ml, mu) = (Math.Min(ml, xl), Math.Min(mu, xu));
            }
            outp[g] = m;
        }
        return outp;
    }
}
