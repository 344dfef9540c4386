using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Clip to <c>[a, b]</c>: nondecreasing, IBP clips the bounds. CROWN: identity inside, constants outside; a box that
/// crosses only the lower kink is relaxed like a shifted ReLU (<c>a + relu(x − a)</c>: chord above, <c>x</c> or <c>a</c>
/// below), only the upper kink like <c>b − relu(b − x)</c>; a box crossing both uses the constant interval.
/// </summary>
public sealed class ClipRule : ElementwiseRule<ClipOp>
{
    protected override Interval Ibp(ClipOp op, Node node, IReadOnlyList<Interval> inputs) => Monotone(inputs[0], t => op.Forward(new[] { t }));

    public override bool ExactImageOfInput => true;

    protected override Relaxation Relaxation(ClipOp op, Tensor l, Tensor u)
    {
        double a = op.Min, b = op.Max;
        var one = ones_like(l); var zero = zeros_like(l);
        var fl = op.Forward(new[] { l }); var fu = op.Forward(new[] { u });
        // Default: constant bounds (covers both-kinks and fully clipped boxes).
        Tensor lK = zero, lB = fl, uK = zero, uB = fu;
        var inside = l.ge(a).logical_and(u.le(b));
        var width = (u - l).clamp_min(1e-12);
        if (!double.IsNegativeInfinity(a))
        {
            // Only the lower kink: l < a < u ≤ b.
            var lowKink = l.lt(a).logical_and(u.gt(a)).logical_and(u.le(b));
            var k = (u - a) / width;                      // chord through (l, a) and (u, u)
            var kb = a - k * l;
            var useX = (u - a).gt(a - l);                  // the identity is the closer support
            uK = where(lowKink, k, uK); uB = where(lowKink, kb, uB);
            lK = where(lowKink, where(useX, one, zero), lK); lB = where(lowKink, where(useX, zero, one * a), lB);
        }
        if (!double.IsPositiveInfinity(b))
        {
            // Only the upper kink: a ≤ l < b < u.
            var highKink = l.ge(a).logical_and(l.lt(b)).logical_and(u.gt(b));
            var k = (b - l) / width;                       // chord through (l, l) and (u, b)
            var kb = l - k * l;
            var useX = (b - l).gt(u - b);
            lK = where(highKink, k, lK); lB = where(highKink, kb, lB);
            uK = where(highKink, where(useX, one, zero), uK); uB = where(highKink, where(useX, zero, one * b), uB);
        }
        lK = where(inside, one, lK); lB = where(inside, zero, lB);
        uK = where(inside, one, uK); uB = where(inside, zero, uB);
        return new Relaxation(lK, lB, uK, uB);
    }
}
