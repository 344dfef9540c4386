using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// <c>x^p</c> for a constant p. IBP: p = 1 identity; positive integers (even: 0 inside the box, odd: monotone); other
/// positive p only on <c>x ≥ 0</c> (monotone). CROWN: where x^p is convex on the box (even p; odd p on x ≥ 0;
/// non-integer p &gt; 1) the tangent at the midpoint below and the chord above, where concave (odd p on x ≤ 0;
/// 0 &lt; p &lt; 1) the reverse; alpha-CROWN moves the tangent point. An odd p on a box straddling 0 uses the chord ±
/// <c>M(u−l)²/8</c> with <c>M = |p(p−1)|·max(|l|,|u|)^{p−2}</c> bounding |f''|, or the interval constants.
/// </summary>
public sealed class PowRule : ElementwiseRule<PowOp>
{
    protected override Interval Ibp(PowOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var x = inputs[0];
        double p = op.Exponent;
        if (p == 1) return x;
        bool integer = p == Math.Floor(p) && p > 0;
        if (integer && ((long)p) % 2 == 1) return Monotone(x, t => pow(t, p));
        if (integer)
        {
            var a = pow(x.Lower, p); var b = pow(x.Upper, p);
            var straddles = x.Lower.lt(0).logical_and(x.Upper.gt(0));
            return new Interval(where(straddles, zeros_like(a), minimum(a, b)), maximum(a, b));
        }
        if (p > 0)
        {
            if (x.Lower.lt(0).any().item<bool>())
                throw new NotSupportedException($"node '{node.Name}' (Pow ^{p}): a non-integer exponent needs a nonnegative input, but its input may be negative");
            return Monotone(x, t => pow(t, p));
        }
        throw new NotSupportedException($"node '{node.Name}' (Pow ^{p}): only positive exponents are supported by the bound rules");
    }

    protected override Relaxation Relaxation(PowOp op, Tensor l, Tensor u) =>
        ParameterCount(op) == 0 ? ChordRelaxation(op, l, u) : ParameterisedRelaxation(op, l, u, InitialParameters(op, l, u));

    /// <summary>
    /// One parameter per neuron (the tangent point of the convex lower line, or of the concave upper line) for every
    /// exponent but 1; an odd exponent's box that straddles 0 keeps its fixed lines whatever the parameter.
    /// </summary>
    protected override int ParameterCount(PowOp op) => op.Exponent == 1 ? 0 : 1;

    /// <summary>CROWN's tangent point: the midpoint of its range (θ = ½).</summary>
    protected override Tensor[] InitialParameters(PowOp op, Tensor l, Tensor u) => new[] { full_like(l, 0.5) };

    /// <summary>
    /// <c>x^p</c> is convex on the whole line for an even p, on x ≥ 0 for an odd p and for a non-integer p &gt; 1, and
    /// concave on x ≥ 0 for 0 &lt; p &lt; 1 (and on x ≤ 0 for an odd p). Where it is convex on the box the tangent at any
    /// <c>d = (1−θ)·l + θ·u</c> lies below it and the chord above; where concave the reverse. For 0 &lt; p &lt; 1 the
    /// tangent points start at <c>max(l, u/1024)</c> instead of l, as the tangent at 0 is vertical. p = 2 keeps its exact
    /// formulas (<c>2d·x − d²</c> and the chord <c>(l+u)·x − l·u</c>); other exponents widen the intercepts by a few units of
    /// rounding. Odd exponents on a box that straddles 0 and narrow boxes keep <see cref="ChordRelaxation"/>.
    /// </summary>
    protected override Relaxation ParameterisedRelaxation(PowOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta)
    {
        double p = op.Exponent;
        var t = theta[0];
        if (p == 2)
        {
            var m = (1 - t) * l + t * u;
            return new Relaxation(2 * m, -(m * m), l + u, -(l * u));
        }
        var width = u - l;
        var narrow = width.lt(1e-9);
        var safe = where(narrow, ones_like(width), width);
        var fl = pow(l, p); var fu = pow(u, p);
        var k = (fu - fl) / safe;
        var b = fl - k * l;
        var start = p < 1 ? maximum(l, u / 1024) : l;
        // Narrow boxes keep the fixed lines; a tangent point of 1 there keeps x^(p−1) finite (and so the gradients).
        var d = where(narrow, ones_like(u), (1 - t) * start + t * u);
        var tk = p * pow(d, p - 1);
        var tb = pow(d, p) - tk * d;
        double eps = l.dtype == ScalarType.Float64 ? 1e-12 : 2e-6;
        var margin = eps * (1 + fl.abs() + fu.abs());
        // Where x^p is convex on the box (tangent below, chord above), concave (chord below, tangent above), or neither.
        var (convex, concave) = Shape(p, l, u);
        convex = convex.logical_and(narrow.logical_not()); concave = concave.logical_and(narrow.logical_not());
        var fixedLines = ChordRelaxation(op, l, u);
        var lK = where(convex, tk, where(concave, k, fixedLines.LowerSlope));
        var lB = where(convex, tb, where(concave, b, fixedLines.LowerBias!)) - where(convex.logical_or(concave), margin, zeros_like(margin));
        var uK = where(convex, k, where(concave, tk, fixedLines.UpperSlope));
        var uB = where(convex, b, where(concave, tb, fixedLines.UpperBias!)) + where(convex.logical_or(concave), margin, zeros_like(margin));
        return new Relaxation(lK, lB, uK, uB);
    }

    /// <summary>Per element, whether x^p is convex on <c>[l, u]</c> and whether it is concave (an odd p across 0: neither).</summary>
    static (Tensor Convex, Tensor Concave) Shape(double p, Tensor l, Tensor u)
    {
        bool integer = p == Math.Floor(p);
        var yes = ones_like(l, dtype: ScalarType.Bool); var no = zeros_like(l, dtype: ScalarType.Bool);
        if (integer && ((long)p) % 2 == 0) return (yes, no);
        if (integer) return (l.ge(0), u.le(0));
        return p > 1 ? (yes, no) : (no, yes);
    }

    // ---------------------------------------------------------------- branching

    /// <summary>
    /// Every exponent but 1 (the identity) is branchable. The split point minimises the children's areas
    /// (<see cref="ElementwiseRule{TOp}.MinimumAreaPoint"/>), with 0 as an extra candidate: for an odd p across 0 (the
    /// inflection point) a split there makes both children convex or concave, with tangent and chord instead of the chord
    /// ± <c>M·w²/8</c>. The error is exact on convex or concave boxes (<see cref="LineGaps.OneCurvature"/>) and sampled
    /// with the curvature bound <c>M = |p(p−1)|·max(|l|, |u|)^{p−2}</c> across 0 (<see cref="LineGaps.Sampled"/>).
    /// </summary>
    protected override bool Branchable(PowOp op) => op.Exponent != 1;

    protected override Tensor? PreferredPoints(PowOp op, Tensor l, Tensor u) => zeros_like(l).unsqueeze(-1);

    protected override (Tensor Lower, Tensor Upper) RelaxationError(PowOp op, Tensor l, Tensor u)
    {
        using var noGrad = no_grad();
        double p = op.Exponent;
        var lo = l.detach(); var hi = u.detach();
        var r = Relaxation(op, lo, hi);
        var (convex, concave) = Shape(p, lo, hi);
        Tensor F(Tensor x) => pow(x, p);
        Tensor DF(Tensor x) => p * pow(x, p - 1);
        var curved = LineGaps.OneCurvature(F, DF, convex, r, lo, hi);
        if (p < 2) return curved;   // p < 2 is convex or concave on every box it accepts (x ≥ 0 for a non-integer p)
        var curvature = Math.Abs(p * (p - 1)) * pow(maximum(lo.abs(), hi.abs()), p - 2);
        var sampled = LineGaps.Sampled(F, r, lo, hi, curvature, 9);
        var one = convex.logical_or(concave);
        return (where(one, curved.Lower, sampled.Lower), where(one, curved.Upper, sampled.Upper));
    }

    /// <summary>
    /// Lines without a free choice: the chord ± <c>M(u−l)²/8</c> with <c>M = |p(p−1)|·max(|l|,|u|)^{p−2}</c> bounding
    /// |f''| for p ≥ 2 (or the interval constants where those are narrower), the interval constants for p &lt; 2.
    /// </summary>
    static Relaxation ChordRelaxation(PowOp op, Tensor l, Tensor u)
    {
        double p = op.Exponent;
        var zero = zeros_like(l);
        if (p == 1) return new Relaxation(ones_like(l), null, ones_like(l), null);
        var box = IntervalOf(op, l, u);
        if (p < 2) return new Relaxation(zero, box.Lower, zero, box.Upper);
        var width = u - l;
        var narrow = width.lt(1e-9);
        var safe = where(narrow, ones_like(width), width);
        var fl = pow(l, p); var fu = pow(u, p);
        var k = (fu - fl) / safe;
        var b = fl - k * l;
        var curvature = Math.Abs(p * (p - 1)) * pow(maximum(l.abs(), u.abs()), p - 2);
        double eps = l.dtype == ScalarType.Float64 ? 1e-12 : 2e-6;
        var err = curvature * width * width / 8 + eps * (1 + fl.abs() + fu.abs());
        var useLine = (2 * err).lt(box.Upper - box.Lower).logical_and(narrow.logical_not());
        return new Relaxation(where(useLine, k, zero), where(useLine, b - err, box.Lower), where(useLine, k, zero), where(useLine, b + err, box.Upper));
    }

    /// <summary>The interval rule on bare bounds (the input is known to be nonnegative for a non-integer exponent).</summary>
    static Interval IntervalOf(PowOp op, Tensor l, Tensor u)
    {
        double p = op.Exponent;
        bool integer = p == Math.Floor(p) && p > 0;
        if (integer && ((long)p) % 2 == 1) return new Interval(pow(l, p), pow(u, p));
        var a = pow(l, p); var b = pow(u, p);
        if (integer)
        {
            var straddles = l.lt(0).logical_and(u.gt(0));
            return new Interval(where(straddles, zeros_like(a), minimum(a, b)), maximum(a, b));
        }
        return new Interval(minimum(a, b), maximum(a, b));
    }
}
