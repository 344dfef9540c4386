using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Sum or mean over axes: nonnegative weights, so IBP reduces the bounds; CROWN broadcasts the coefficients back (divided by the count for a mean).</summary>
public sealed class ReduceRule : AffineRule<ReduceOp>
{
    protected override bool PositiveMap => true;

    protected override Interval Ibp(ReduceOp op, Node node, IReadOnlyList<Interval> inputs) =>
        Monotone(inputs[0], t => op.Forward(new[] { t }));

    protected override Tensor Adjoint(ReduceOp op, BackwardStep step, Tensor a, int input)
    {
        var inShape = step.InputNodes[0].Shape;
        var x = a;
        if (!op.KeepDims) foreach (var ax in op.Axes.OrderBy(v => v)) x = x.unsqueeze(ax + 2);
        x = x.expand(WithRows(a, inShape));
        if (op.Reduction == ReduceKind.Mean)
        {
            long count = op.Axes.Aggregate(1L, (p, ax) => p * inShape[ax]);
            x = x / count;
        }
        return x;
    }
}
