using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

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

    /// <summary>A positive scale keeps each line's role, a negative one swaps the lower and upper lines.</summary>
    public override LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds)
    {
        var op = (AffineOp)node.Op;
        var x = inputs[0];
        if (op.Scale is null)
            return op.Shift is null ? x : x with { LowerB = x.LowerB + op.Shift, UpperB = x.UpperB + op.Shift };
        var s = op.Scale;
        var pos = s.ge(0);
        var sw = s.unsqueeze(-1); var posW = pos.unsqueeze(-1);
        var lw = where(posW, x.LowerW, x.UpperW) * sw;
        var uw = where(posW, x.UpperW, x.LowerW) * sw;
        var lb = where(pos, x.LowerB, x.UpperB) * s;
        var ub = where(pos, x.UpperB, x.LowerB) * s;
        if (op.Shift is not null) { lb = lb + op.Shift; ub = ub + op.Shift; }
        return new LinearBounds(lw, lb, uw, ub);
    }

    protected override Tensor? Offset(AffineOp op, BackwardStep step, Tensor a) =>
        op.Shift is null ? null : (a * op.Shift).reshape(a.shape[0], a.shape[1], -1).sum(-1);
}
