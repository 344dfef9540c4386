using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Clip to <c>[a, b]</c>: nondecreasing, IBP clips the bounds. CROWN: identity inside, constants outside; a box that
/// crosses only the lower kink is relaxed like a shifted ReLU (<c>a + relu(x − a)</c>: chord above, <c>x</c> or <c>a</c>
/// below), only the upper kink like <c>b − relu(b − x)</c>; a box crossing both uses the constant interval. alpha-CROWN
/// turns the lines through the kinks (see <see cref="ParameterisedRelaxation"/>).
/// </summary>
public sealed class ClipRule : ElementwiseRule<ClipOp>
{
    protected override Interval Ibp(ClipOp op, Node node, IReadOnlyList<Interval> inputs) => Monotone(inputs[0], t => op.Forward(new[] { t }));

    public override bool ExactImageOfInput => true;

    protected override Relaxation Relaxation(ClipOp op, Tensor l, Tensor u) => ParameterisedRelaxation(op, l, u, InitialParameters(op, l, u));

    /// <summary>Two parameters per neuron: the slope of the lower line through the lower kink (θ₀) and of the upper line through the upper kink (θ₁).</summary>
    protected override int ParameterCount(ClipOp op) => double.IsInfinity(op.Min) && double.IsInfinity(op.Max) ? 0 : 2;

    /// <summary>CROWN's choices: on a box crossing one kink the closer of the two supports (θ ∈ {0, 1}); crossing both, the constants (θ = 0).</summary>
    protected override Tensor[] InitialParameters(ClipOp op, Tensor l, Tensor u)
    {
        double a = op.Min, b = op.Max;
        var lowerX = (u - a).gt(a - l).logical_and(u.le(b));    // only the lower kink, and the identity is the closer support
        var upperX = (b - l).gt(u - b).logical_and(l.ge(a));    // only the upper kink, likewise
        return new[] { lowerX.to_type(l.dtype), upperX.to_type(l.dtype) };
    }

    /// <summary>
    /// A box crossing the lower kink a (<c>l &lt; a &lt; u</c>) has the lower lines <c>a + s·(x − a)</c> through the kink for
    /// every <c>s ∈ [0, s*]</c>, <c>s* = (min(u, b) − a)/(u − a)</c> (1 when only that kink is crossed; otherwise the line
    /// through <c>(u, b)</c>): below a on the left (s ≥ 0), below x between the kinks (s ≤ 1), below b on the right.
    /// <c>s = θ₀·s*</c>. Symmetrically the upper lines <c>b + s·(x − b)</c>, <c>s = θ₁·s*</c>, <c>s* = (b − max(l, a))/(b − l)</c>.
    /// A box crossing one kink only takes the chord on the other side; inside both kinks the identity; beyond them the constant.
    /// </summary>
    protected override Relaxation ParameterisedRelaxation(ClipOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta)
    {
        double a = op.Min, b = op.Max;
        var one = ones_like(l); var zero = zeros_like(l);
        var fl = op.Forward(new[] { l }); var fu = op.Forward(new[] { u });
        // Default: constant bounds (fully clipped boxes).
        Tensor lK = zero, lB = fl, uK = zero, uB = fu;
        var inside = l.ge(a).logical_and(u.le(b));
        var width = (u - l).clamp_min(1e-12);
        if (!double.IsNegativeInfinity(a))
        {
            var lowKink = l.lt(a).logical_and(u.gt(a));
            var onlyLow = lowKink.logical_and(u.le(b));
            var k = (u - a) / width;                      // chord through (l, a) and (u, u)
            var kb = a - k * l;
            uK = where(onlyLow, k, uK); uB = where(onlyLow, kb, uB);
            // Safe denominators off the mask keep the unused branch (and so the parameters' gradients) finite.
            var sMax = (minimum(u, full_like(u, b)) - a) / where(lowKink, u - a, one);
            var s = theta[0] * sMax;
            lK = where(lowKink, s, lK); lB = where(lowKink, a - s * a, lB);
        }
        if (!double.IsPositiveInfinity(b))
        {
            var highKink = l.lt(b).logical_and(u.gt(b));
            var onlyHigh = highKink.logical_and(l.ge(a));
            var k = (b - l) / width;                       // chord through (l, l) and (u, b)
            var kb = l - k * l;
            lK = where(onlyHigh, k, lK); lB = where(onlyHigh, kb, lB);
            var sMax = (b - maximum(l, full_like(l, a))) / where(highKink, b - l, one);
            var s = theta[1] * sMax;
            uK = where(highKink, s, uK); uB = where(highKink, b - s * b, uB);
        }
        lK = where(inside, one, lK); lB = where(inside, zero, lB);
        uK = where(inside, one, uK); uB = where(inside, zero, uB);
        return new Relaxation(lK, lB, uK, uB);
    }

    /// <summary>
    /// Branching: at a kink inside the box, the lower one first (<c>a</c> when <c>l &lt; a &lt; u</c>, else <c>b</c>).
    /// A box across both kinks needs two splits, so a neuron may be split again (not <see cref="ElementwiseRule{TOp}.SplitAtZeroIsExact(TOp)"/>);
    /// after its kinks are split off each child is linear. The errors are exact: the gap of a line to the piecewise-linear
    /// clip is largest at an end of the box or at a kink inside it (<see cref="LineGaps.AtPoints"/>; sampling, as before,
    /// missed the kinks and reported less than the true gap).
    /// </summary>
    protected override bool Branchable(ClipOp op) => !(double.IsInfinity(op.Min) && double.IsInfinity(op.Max));

    protected override Tensor Unstable(ClipOp op, Tensor l, Tensor u) =>
        l.lt(op.Min).logical_and(u.gt(op.Min)).logical_or(l.lt(op.Max).logical_and(u.gt(op.Max)));

    protected override Tensor BranchPoint(ClipOp op, Tensor l, Tensor u)
    {
        var lowKink = l.lt(op.Min).logical_and(u.gt(op.Min));
        var b = double.IsPositiveInfinity(op.Max) ? (l + u) / 2 : full_like(l, op.Max);
        return where(lowKink, full_like(l, double.IsNegativeInfinity(op.Min) ? 0 : op.Min), b);
    }

    protected override (Tensor Lower, Tensor Upper) RelaxationError(ClipOp op, Tensor l, Tensor u)
    {
        using var noGrad = no_grad();
        var lo = l.detach(); var hi = u.detach();
        Tensor Kink(double k) => double.IsInfinity(k) ? lo : minimum(maximum(full_like(lo, k), lo), hi);
        var points = stack(new[] { lo, hi, Kink(op.Min), Kink(op.Max) }, -1);
        return LineGaps.AtPoints(x => op.Forward(new[] { x }), Relaxation(op, lo, hi), points);
    }
}
