using Certify.Graph;
using Certify.Graph.Ops;
using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>
/// Elementwise <c>y = x·scale + shift</c> (constants broadcast over a sample). IBP: <c>c·scale + shift ± r·|scale|</c>.
/// CROWN: <c>A_in = A·scale</c>, constant <c>Σ A·shift</c>.
/// </summary>
public sealed class AffineOpRule : AffineRule<AffineOp>
{
    protected override Interval Ibp(AffineOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var x = inputs[0];
        if (op.Scale is null)
            return op.Shift is null ? x : new Interval(x.Lower + op.Shift, x.Upper + op.Shift);
        var c = x.Center() * op.Scale;
        if (op.Shift is not null) c = c + op.Shift;
        var r = x.Radius() * op.Scale.abs();
        return new Interval(c - r, c + r);
    }

    protected override Tensor Adjoint(AffineOp op, BackwardStep step, Tensor a, int input)
    {
        if (op.Scale is null) return a;
        var y = a * op.Scale;
        // A scale with more elements than a sample (cannot happen after shape inference) would change the shape.
        return y.reshape(WithRows(a, step.InputNodes[0].Shape));
    }

    protected override Tensor? Offset(AffineOp op, BackwardStep step, Tensor a) =>
        op.Shift is null ? null : (a * op.Shift).reshape(a.shape[0], a.shape[1], -1).sum(-1);
}
