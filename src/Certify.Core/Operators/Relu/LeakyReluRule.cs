using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// LeakyReLU <c>x ≥ 0 ? x : α·x</c>. For α ≤ 1 the function is convex: the upper line is the chord through
/// <c>(l, α·l)</c> and <c>(u, u)</c>, the lower line is <c>x</c> or <c>α·x</c> (both support it), chosen as CROWN does for
/// ReLU (<c>x</c> when <c>u &gt; −l</c>). For α &gt; 1 it is concave and the roles swap.
/// </summary>
public sealed class LeakyReluRule : ElementwiseRule<LeakyReluOp>
{
    protected override Interval Ibp(LeakyReluOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var x = inputs[0];
        Tensor F(Tensor t) => nn.functional.leaky_relu(t, op.Alpha);
        if (op.Alpha >= 0) return Monotone(x, F);
        // Negative slope: not monotone; the minimum is 0 when the box contains 0.
        var fl = F(x.Lower); var fu = F(x.Upper);
        var lo = where(x.Lower.lt(0).logical_and(x.Upper.gt(0)), zeros_like(fl), minimum(fl, fu));
        return new Interval(lo, maximum(fl, fu));
    }

    public override Tensor? RefinementMask(Node node, int inputIndex, Interval input) => ReluRule.Unstable(input.Lower, input.Upper);

    protected override Relaxation Relaxation(LeakyReluOp op, Tensor l, Tensor u)
    {
        double a = op.Alpha;
        var lr = l.clamp_max(0);
        var ur = maximum(u.clamp_min(0), lr + 1e-8);
        var chord = (ur - lr * a) / (ur - lr);      // slope of the chord; 1 on active, α on inactive neurons
        var chordBias = lr * (a - chord);
        var steep = u.gt(l.neg());                   // u > −l: the identity line is the closer support
        var one = ones_like(l);
        var support = where(steep, one, one * a);
        // Stable neurons: exact.
        var active = l.ge(0); var inactive = u.le(0);
        support = where(active, one, where(inactive, one * a, support));
        if (a <= 1) return new Relaxation(support, null, chord, chordBias);
        return new Relaxation(chord, chordBias, support, null);
    }
}
