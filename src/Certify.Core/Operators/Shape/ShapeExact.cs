using Certify.Exact;

namespace Certify.Operators;

/// <summary>
/// Exact encoding of Concat: the operands' expressions placed side by side, no new variable. The other data-movement
/// ops have one input and use <see cref="ExactEncoding.Affine"/> (each output is one input expression, substituted).
/// </summary>
internal static class ShapeExact
{
    public static LinExpr[] Concat(IExactEncodingContext node)
    {
        var n = node.Node;
        int axis = ((ConcatOp)n.Op).Axis;
        if (axis < 0) axis += n.Shape.Length;
        long outer = n.Shape.Take(axis).Aggregate(1L, (a, b) => a * b);
        long inner = n.Shape.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        var outp = new LinExpr[n.Size];
        long offset = 0, total = n.Shape[axis];
        for (int k = 0; k < n.Inputs.Count; k++)
        {
            long len = node.InputShape(k)[axis];
            var src = node.Input(k);
            for (long o = 0; o < outer; o++)
                for (long a = 0; a < len; a++)
                    for (long i = 0; i < inner; i++)
                        outp[(o * total + offset + a) * inner + i] = src[(int)((o * len + a) * inner + i)];
            offset += len;
        }
        return outp;
    }
}
