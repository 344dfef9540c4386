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
/// <item>l &lt; 0 &lt; u: the chord is a valid upper line iff <c>f'(u) ≥ chord slope</c>; otherwise the line through
/// <c>(l, f(l))</c> tangent at some <c>d ∈ [0, u]</c>, found by bisection keeping the side where the line is above
/// <c>f(l)</c>. Symmetrically below (chord iff <c>f'(l) ≥ chord slope</c>, else tangent at <c>d ∈ [l, 0]</c> through <c>(u, f(u))</c>).</item>
/// </list>
/// Intercepts are widened by a few units of rounding so the lines stay sound in floating point; on very narrow boxes
/// the constants <c>f(l)</c>, <c>f(u)</c> are used.
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

    protected override Relaxation Relaxation(TOp op, Tensor l, Tensor u)
    {
        var fl = F(l); var fu = F(u);
        var width = u - l;
        var narrow = width.lt(1e-6);
        var safeWidth = where(narrow, ones_like(width), width);
        var chordK = (fu - fl) / safeWidth;
        var chordB = fl - chordK * l;
        var m = (l + u) / 2;
        var tanK = DF(m);
        var tanB = F(m) - tanK * m;

        // Mixed case, upper line: tangent at d ∈ [0, u] through (l, f(l)); g(d) ≥ 0 means the line is above f at l.
        var lo = zeros_like(u); var hi = u.clamp_min(0);
        for (int i = 0; i < BisectionSteps; i++)
        {
            var d = (lo + hi) / 2;
            var above = (F(d) + DF(d) * (l - d) - fl).ge(0);
            hi = where(above, d, hi); lo = where(above, lo, d);
        }
        var upK = DF(hi); var upB = F(hi) - upK * hi;
        // Mixed case, lower line: tangent at d ∈ [l, 0] through (u, f(u)); g(d) ≤ 0 means the line is below f at u.
        var lo2 = l.clamp_max(0); var hi2 = zeros_like(l);
        for (int i = 0; i < BisectionSteps; i++)
        {
            var d = (lo2 + hi2) / 2;
            var below = (F(d) + DF(d) * (u - d) - fu).le(0);
            lo2 = where(below, d, lo2); hi2 = where(below, hi2, d);
        }
        var lowK = DF(lo2); var lowB = F(lo2) - lowK * lo2;

        var convex = u.le(0); var concave = l.ge(0);
        var chordUp = DF(u).ge(chordK);
        var chordLow = DF(l).ge(chordK);
        var uK = where(convex, chordK, where(concave, tanK, where(chordUp, chordK, upK)));
        var uB = where(convex, chordB, where(concave, tanB, where(chordUp, chordB, upB)));
        var lK = where(concave, chordK, where(convex, tanK, where(chordLow, chordK, lowK)));
        var lB = where(concave, chordB, where(convex, tanB, where(chordLow, chordB, lowB)));

        // Narrow boxes: constant lines (f is increasing).
        var zero = zeros_like(l);
        uK = where(narrow, zero, uK); uB = where(narrow, fu, uB);
        lK = where(narrow, zero, lK); lB = where(narrow, fl, lB);

        // Outward margin against rounding in f, the tangent points and the line evaluation.
        double eps = l.dtype == ScalarType.Float64 ? 1e-12 : 2e-6;
        var scale = 1 + maximum(l.abs(), u.abs());
        return new Relaxation(lK, lB - eps * scale, uK, uB + eps * scale);
    }
}
