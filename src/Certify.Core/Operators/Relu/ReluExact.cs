using Certify.Exact;

namespace Certify.Operators;

/// <summary>
/// Exact encodings of the piecewise-linear activations, all through the model's one nonlinearity,
/// <c>max(x, 0)</c> (<see cref="IExactEncodingContext.Relu"/>). Sign has none (it is discontinuous).
/// </summary>
internal static class ReluExact
{
    public static LinExpr[] Relu(IExactEncodingContext node) => ExactEncoding.Elementwise(node, node.Relu);

    /// <summary><c>leaky(x) = α·x + (1 − α)·relu(x)</c>, for any α.</summary>
    public static LinExpr[] LeakyRelu(IExactEncodingContext node)
    {
        double alpha = ((LeakyReluOp)node.Node.Op).Alpha;
        return ExactEncoding.Elementwise(node, (x, l, u, name) =>
            LinExpr.Combine(new[] { x, node.Relu(x, l, u, name) }, new[] { alpha, 1 - alpha }, 0));
    }

    /// <summary><c>clip(x, lo, hi) = lo + relu(x − lo) − relu(x − hi)</c> (one ReLU per finite limit).</summary>
    public static LinExpr[] Clip(IExactEncodingContext node)
    {
        var cl = (ClipOp)node.Node.Op;
        double min = cl.Min, max = cl.Max;
        return ExactEncoding.Elementwise(node, (x, l, u, name) =>
        {
            bool hasMin = !double.IsNegativeInfinity(min), hasMax = !double.IsPositiveInfinity(max);
            if (hasMin && hasMax && min > max) throw new EncodingNotSupportedException($"'{name}': Clip with min {min} > max {max}");
            var y = x;
            if (hasMin) y = node.Relu(x.Scale(1, -min), l - min, u - min, name + ".lo").Scale(1, min);
            if (hasMax)
            {
                var over = node.Relu(x.Scale(1, -max), l - max, u - max, name + ".hi");
                y = y - over;
            }
            return y;
        });
    }
}
