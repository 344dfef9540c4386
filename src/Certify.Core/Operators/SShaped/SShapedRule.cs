using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Shared relaxation of increasing S-shaped functions (convex on x ≤ 0, concave on x ≥ 0: Sigmoid, Tanh).
/// <list type="bullet">
/// <item>u ≤ 0 (convex part): tangent at the midpoint below, chord above.</item>
/// <item>l ≥ 0 (concave part): chord below, tangent at the midpoint above.</item>
/// <item>l &lt; 0 &lt; u: the chord is a valid upper line iff <c>f'(u) ≥ chord slope</c>; otherwise a tangent at a point
/// d ≥ d*, where d*'s tangent passes through <c>(l, f(l))</c> (found by bisection): the midpoint when it is valid, else d*.
/// Symmetrically below (chord iff <c>f'(l) ≥ chord slope</c>, else a tangent at d ≤ d*, d*'s tangent passing through
/// <c>(u, f(u))</c>).</item>
/// </list>
/// Intercepts are widened by a few units of rounding so the lines stay sound in floating point; on very narrow boxes
/// the constants <c>f(l)</c>, <c>f(u)</c> are used. alpha-CROWN moves the tangent points within their valid ranges
/// (<see cref="ParameterisedRelaxation"/>).
/// </summary>
public abstract class SShapedRule<TOp> : ElementwiseRule<TOp> where TOp : Op
{
    /// <summary>The function.</summary>
    protected abstract Tensor F(Tensor x);

    /// <summary>Its derivative.</summary>
    protected abstract Tensor DF(Tensor x);

    const int BisectionSteps = 30;

    protected override Interval Ibp(TOp op, Node node, IReadOnlyList<Interval> inputs) => Monotone(inputs[0], F);

    public override bool ExactImageOfInput => true;

    protected override Relaxation Relaxation(TOp op, Tensor l, Tensor u) => ParameterisedRelaxation(op, l, u, InitialParameters(op, l, u));

    /// <summary>Two parameters per neuron: the tangent point of the lower line (θ₀) and of the upper line (θ₁).</summary>
    protected override int ParameterCount(TOp op) => 2;

    /// <summary>
    /// CROWN's tangent points: the valid point closest to the midpoint m of the box. On the convex (lower line) or
    /// concave (upper line) part that is m itself, θ = ½. In the mixed case it is m when m lies in the valid range, and
    /// otherwise the end of the range, the tangent through the far end point. (Always taking the far end point, as this
    /// rule first did, gave lines that hug f near one end of a wide box and leave it far behind at the other: on the
    /// ERAN 6x200 sigmoid network CROWN's mean row lower bound was −31.7 where auto_LiRPA, which prefers the midpoint
    /// the same way, has 7.1.)
    /// </summary>
    protected override Tensor[] InitialParameters(TOp op, Tensor l, Tensor u)
    {
        var (lowHi, upLo) = TangentRanges(l, u);
        var m = (l + u) / 2;
        var dLow = minimum(m, lowHi);
        var dUp = maximum(m, upLo);
        var spanLow = lowHi - l; var spanUp = u - upLo;
        var t0 = where(spanLow.gt(0), (dLow - l) / where(spanLow.gt(0), spanLow, ones_like(spanLow)), full_like(l, 0.5)).clamp(0, 1);
        var t1 = where(spanUp.gt(0), (dUp - upLo) / where(spanUp.gt(0), spanUp, ones_like(spanUp)), full_like(l, 0.5)).clamp(0, 1);
        return new[] { t0, t1 };
    }

    /// <summary>
    /// The valid ranges of the tangent points: the lower line's is <c>[l, lowHi]</c> (u on the convex part; in the mixed
    /// case d*, whose tangent passes through <c>(u, f(u))</c>), the upper line's <c>[upLo, u]</c> (l on the concave part;
    /// in the mixed case the d* whose tangent passes through <c>(l, f(l))</c>). Found by bisection, keeping the valid side.
    /// </summary>
    (Tensor LowHi, Tensor UpLo) TangentRanges(Tensor l, Tensor u)
    {
        var fl = F(l); var fu = F(u);
        // Mixed case, upper line: tangent at d* ∈ [0, u] through (l, f(l)); g(d) ≥ 0 means the line is above f at l.
        var lo = zeros_like(u); var hi = u.clamp_min(0);
        for (int i = 0; i < BisectionSteps; i++)
        {
            var d = (lo + hi) / 2;
            var above = (F(d) + DF(d) * (l - d) - fl).ge(0);
            hi = where(above, d, hi); lo = where(above, lo, d);
        }
        // Mixed case, lower line: tangent at d* ∈ [l, 0] through (u, f(u)); g(d) ≤ 0 means the line is below f at u.
        var lo2 = l.clamp_max(0); var hi2 = zeros_like(l);
        for (int i = 0; i < BisectionSteps; i++)
        {
            var d = (lo2 + hi2) / 2;
            var below = (F(d) + DF(d) * (u - d) - fu).le(0);
            lo2 = where(below, d, lo2); hi2 = where(below, hi2, d);
        }
        return (where(u.le(0), u, lo2), where(l.ge(0), l, hi));
    }

    /// <summary>
    /// Tangent lines at points inside the range where they stay on the right side of f over the whole box:
    /// <list type="bullet">
    /// <item>lower line: on the convex part (u ≤ 0) the tangent at any <c>d ∈ [l, u]</c>; in the mixed case the tangent
    /// at any <c>d ∈ [l, d*]</c>, d* being the point whose tangent passes through <c>(u, f(u))</c> (moving d left of d*
    /// lowers the line at u, and f stays convex on [l, 0]); <c>d = (1−θ₀)·lo + θ₀·hi</c> of that range.</item>
    /// <item>upper line: symmetrically, on the concave part (l ≥ 0) any <c>d ∈ [l, u]</c>, in the mixed case any
    /// <c>d ∈ [d*, u]</c> with d*'s tangent through <c>(l, f(l))</c>; <c>d = (1−θ₁)·lo + θ₁·hi</c>.</item>
    /// </list>
    /// The chords (the other line on the convex and concave parts, and either line in the mixed case when the chord is
    /// valid there) and the constants of narrow boxes are fixed.
    /// </summary>
    protected override Relaxation ParameterisedRelaxation(TOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta)
    {
        var (t0, t1) = (theta[0], theta[1]);
        var fl = F(l); var fu = F(u);
        var width = u - l;
        var narrow = width.lt(1e-6);
        var safeWidth = where(narrow, ones_like(width), width);
        var chordK = (fu - fl) / safeWidth;
        var chordB = fl - chordK * l;
        var convex = u.le(0); var concave = l.ge(0);
        var (lowHi, upLo) = TangentRanges(l, u);
        // Tangent points: (1−θ)·lo + θ·hi of the valid range.
        var dLow = (1 - t0) * l + t0 * lowHi;
        var dUp = (1 - t1) * upLo + t1 * u;
        var lowK = DF(dLow); var lowB = F(dLow) - lowK * dLow;
        var upK = DF(dUp); var upB = F(dUp) - upK * dUp;

        var chordUp = DF(u).ge(chordK);
        var chordLow = DF(l).ge(chordK);
        var uK = where(convex, chordK, where(concave, upK, where(chordUp, chordK, upK)));
        var uB = where(convex, chordB, where(concave, upB, where(chordUp, chordB, upB)));
        var lK = where(concave, chordK, where(convex, lowK, where(chordLow, chordK, lowK)));
        var lB = where(concave, chordB, where(convex, lowB, where(chordLow, chordB, lowB)));

        // Narrow boxes: constant lines (f is increasing).
        var zero = zeros_like(uK);
        uK = where(narrow, zero, uK); uB = where(narrow, fu, uB);
        lK = where(narrow, zero, lK); lB = where(narrow, fl, lB);

        // Outward margin against rounding in f, the tangent points and the line evaluation.
        double eps = l.dtype == ScalarType.Float64 ? 1e-12 : 2e-6;
        var scale = 1 + maximum(l.abs(), u.abs());
        return new Relaxation(lK, lB - eps * scale, uK, uB + eps * scale);
    }

    /// <summary>
    /// Branching (GenBaB's S-shaped case): any neuron wider than <see cref="ElementwiseRule{TOp}.MinSplitWidth"/>, split at
    /// the point that minimises the two children's relaxation areas (<see cref="ElementwiseRule{TOp}.MinimumAreaPoint"/>).
    /// On a box across the inflection point the optimum is generally not 0 (on <c>[−1, 10]</c> the concave part dominates
    /// the area), which is why no fixed point is used. A neuron may be split again on a narrower child.
    /// </summary>
    protected override bool Branchable(TOp op) => true;

    /// <summary>
    /// A bound on |f''| over the whole line, or null when the subclass gives none (the sampled error is then an estimate
    /// from inside): with it the branching score's error is an upper bound (<see cref="LineGaps.Sampled"/>).
    /// </summary>
    protected virtual double? SecondDerivativeBound => null;

    protected override Tensor? CurvatureBound(TOp op, Tensor l, Tensor u) => SecondDerivativeBound is { } m ? full_like(l, m) : null;
}
