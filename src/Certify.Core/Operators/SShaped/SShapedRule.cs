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

    /// <summary>
    /// Bisection steps for the tangent ranges: 30 in float64 (a bracket of 10⁻⁹ of the box), 20 in float32 (10⁻⁶, about
    /// the float32 resolution of a point of the box; more steps moved the tangent point by an ulp or two at most).
    /// Bisection keeps the valid end of its bracket, so any number of steps is sound: fewer only leave the tangent a
    /// little further from the optimal one.
    /// </summary>
    static int BisectionSteps(Tensor t) => t.dtype == ScalarType.Float64 ? 30 : 20;

    protected override Interval Ibp(TOp op, Node node, IReadOnlyList<Interval> inputs) => Monotone(inputs[0], F);

    public override bool ExactImageOfInput => true;

    protected override Relaxation Relaxation(TOp op, Tensor l, Tensor u)
    {
        var fixedPart = Prepare(op, l, u);
        return Lines(l, u, Initial(l, u, fixedPart), fixedPart);
    }

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
    protected override Tensor[] InitialParameters(TOp op, Tensor l, Tensor u) => Initial(l, u, Prepare(op, l, u));

    static Tensor[] Initial(Tensor l, Tensor u, Tensor[] fixedPart)
    {
        var (lowHi, upLo) = (fixedPart[LowHi], fixedPart[UpLo]);
        var m = (l + u) / 2;
        var dLow = minimum(m, lowHi);
        var dUp = maximum(m, upLo);
        var spanLow = lowHi - l; var spanUp = u - upLo;
        var t0 = where(spanLow.gt(0), (dLow - l) / where(spanLow.gt(0), spanLow, ones_like(spanLow)), full_like(l, 0.5)).clamp(0, 1);
        var t1 = where(spanUp.gt(0), (dUp - upLo) / where(spanUp.gt(0), spanUp, ones_like(spanUp)), full_like(l, 0.5)).clamp(0, 1);
        return new[] { t0, t1 };
    }

    // Positions in the prepared tensors (see Prepare).
    const int FL = 0, FU = 1, ChordK = 2, ChordB = 3, Narrow = 4, Convex = 5, Concave = 6, LowHi = 7, UpLo = 8, ChordUp = 9, ChordLow = 10, Margin = 11;

    /// <summary>
    /// Everything about the box that the tangent points do not change, computed once per input bounds (and cached across
    /// alpha-CROWN's iterations and passes, <see cref="ElementwiseRule{TOp}.Prepare"/>): f at the ends, the chord, the
    /// narrow/convex/concave masks, where the chord is a valid line, the rounding margin, and the valid ranges of the
    /// tangent points. The lower line's range is <c>[l, lowHi]</c> (u on the convex part; in the mixed case d*, whose
    /// tangent passes through <c>(u, f(u))</c>), the upper line's <c>[upLo, u]</c> (l on the concave part; in the mixed
    /// case the d* whose tangent passes through <c>(l, f(l))</c>). Both d* are found by one bisection over the two
    /// searches stacked (half the tensor operations of two), keeping the valid end of each bracket.
    /// </summary>
    protected override Tensor[] Prepare(TOp op, Tensor l, Tensor u)
    {
        var fl = F(l); var fu = F(u);
        var width = u - l;
        var narrow = width.lt(1e-6);
        var safeWidth = where(narrow, ones_like(width), width);
        var chordK = (fu - fl) / safeWidth;
        var chordB = fl - chordK * l;
        // Upper line: the tangent at d ∈ [0, u] is valid iff it passes above (l, f(l)); it starts valid at u. Lower line:
        // the tangent at d ∈ [l, 0] is valid iff it passes below (u, f(u)); it starts valid at l. s flips the second test.
        var valid = stack(new[] { u.clamp_min(0), l.clamp_max(0) });
        var invalid = zeros_like(valid);
        var through = stack(new[] { l, u });
        var fThrough = stack(new[] { fl, fu });
        var s = stack(new[] { ones_like(l), -ones_like(l) });
        for (int i = 0, n = BisectionSteps(l); i < n; i++)
        {
            var d = (valid + invalid) / 2;
            var ok = ((F(d) + DF(d) * (through - d) - fThrough) * s).ge(0);
            valid = where(ok, d, valid); invalid = where(ok, invalid, d);
        }
        var upLo = where(l.ge(0), l, valid[0]);
        var lowHi = where(u.le(0), u, valid[1]);
        double eps = l.dtype == ScalarType.Float64 ? 1e-12 : 2e-6;
        var margin = eps * (1 + maximum(l.abs(), u.abs()));
        return new[] { fl, fu, chordK, chordB, narrow, u.le(0), l.ge(0), lowHi, upLo, DF(u).ge(chordK), DF(l).ge(chordK), margin };
    }

    protected override Relaxation ParameterisedRelaxation(TOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta) =>
        Lines(l, u, theta, Prepare(op, l, u));

    protected override Relaxation PreparedRelaxation(TOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta, IReadOnlyList<Tensor> prepared) =>
        Lines(l, u, theta, prepared);

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
    /// valid there) and the constants of narrow boxes are fixed. Intercepts are widened outward by the margin of
    /// <see cref="Prepare"/> against rounding in f, the tangent points and the line evaluation.
    /// </summary>
    Relaxation Lines(Tensor l, Tensor u, IReadOnlyList<Tensor> theta, IReadOnlyList<Tensor> p)
    {
        var (t0, t1) = (theta[0], theta[1]);
        var (fl, fu, chordK, chordB, narrow) = (p[FL], p[FU], p[ChordK], p[ChordB], p[Narrow]);
        var (convex, concave, chordUp, chordLow) = (p[Convex], p[Concave], p[ChordUp], p[ChordLow]);
        // Tangent points: (1−θ)·lo + θ·hi of the valid range.
        var dLow = (1 - t0) * l + t0 * p[LowHi];
        var dUp = (1 - t1) * p[UpLo] + t1 * u;
        var lowK = DF(dLow); var lowB = F(dLow) - lowK * dLow;
        var upK = DF(dUp); var upB = F(dUp) - upK * dUp;

        var uK = where(convex, chordK, where(concave, upK, where(chordUp, chordK, upK)));
        var uB = where(convex, chordB, where(concave, upB, where(chordUp, chordB, upB)));
        var lK = where(concave, chordK, where(convex, lowK, where(chordLow, chordK, lowK)));
        var lB = where(concave, chordB, where(convex, lowB, where(chordLow, chordB, lowB)));

        // Narrow boxes: constant lines (f is increasing).
        var zero = zeros_like(uK);
        uK = where(narrow, zero, uK); uB = where(narrow, fu, uB);
        lK = where(narrow, zero, lK); lB = where(narrow, fl, lB);
        return new Relaxation(lK, lB - p[Margin], uK, uB + p[Margin]);
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
