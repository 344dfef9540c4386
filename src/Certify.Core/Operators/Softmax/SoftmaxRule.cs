using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Softmax along one axis. IBP: output i is smallest when x_i is at its lower bound and every other x_j at its upper
/// bound, <c>e^{l_i} / (e^{l_i} + Σ_{j≠i} e^{u_j})</c>, and symmetrically for the upper bound (computed with a max shift
/// for stability). CROWN uses these interval bounds (reported as an IBP fallback).
/// </summary>
public sealed class SoftmaxRule : BoundRule<SoftmaxOp>
{
    public override bool HasCrownRule(Node node) => false;
    public override bool NeedsInputBounds => true;

    protected override Interval Ibp(SoftmaxOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var x = inputs[0];
        long axis = op.Axis + 1;
        var shift = x.Upper.amax(new[] { axis }, keepdim: true);
        var el = exp(x.Lower - shift); var eu = exp(x.Upper - shift);
        var sumU = eu.sum(axis, keepdim: true); var sumL = el.sum(axis, keepdim: true);
        var othersU = (sumU - eu).clamp_min(0); var othersL = (sumL - el).clamp_min(0);
        var lower = el / (el + othersU);
        var upper = eu / (eu + othersL);
        return new Interval(lower.clamp(0, 1), upper.clamp(0, 1));
    }
}
