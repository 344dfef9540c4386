using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// GELU <c>x·Φ(x)</c>. IBP is exact: GELU decreases up to <see cref="GeluOp.MinimumPoint"/> and increases after, so the
/// bounds are the endpoint values, except that a box holding the minimum point gets <see cref="GeluOp.MinimumValue"/>
/// below. CROWN: GELU is convex on [−√2, √2] and concave outside (<c>f'' = φ(x)(2 − x²)</c>), so no single tangent
/// or chord serves a box across ±√2; both lines take the chord's slope with offsets from <see cref="SampledLines"/>
/// (sound for any box, tight to <c>M·w²/8192</c>, with M the largest |f''| on the box: at the ends or at 0, ±2, where
/// |f''| has its extrema). Where that band is wider than the interval, the interval constants are used. Forward
/// mode applies the same lines.
/// </summary>
public sealed class GeluRule : ElementwiseRule<GeluOp>
{
    public override bool ExactImageOfInput => true;

    protected override Interval Ibp(GeluOp op, Node node, IReadOnlyList<Interval> inputs) => Range(inputs[0].Lower, inputs[0].Upper);

    static Interval Range(Tensor l, Tensor u)
    {
        var fl = GeluOp.Of(l); var fu = GeluOp.Of(u);
        var holdsMinimum = l.le(GeluOp.MinimumPoint).logical_and(u.ge(GeluOp.MinimumPoint));
        var min = full_like(l, GeluOp.MinimumValue) - ElementwiseLines.Epsilon(l);
        return new Interval(where(holdsMinimum, min, minimum(fl, fu)), maximum(fl, fu));
    }


    /// <summary>|f''(x)| = φ(x)·|2 − x²|.</summary>
    static Tensor Curvature(Tensor x) => exp(-0.5 * x * x) * (1 / Math.Sqrt(2 * Math.PI)) * (2 - x * x).abs();

    /// <summary>The largest |f''| on [l, u]: at an end, or at 0 or ±2 (where f''' = −x·φ(x)·(4 − x²) vanishes) inside.</summary>
    static Tensor MaxCurvature(Tensor l, Tensor u)
    {
        var m = maximum(Curvature(l), Curvature(u));
        foreach (var p in new[] { 0.0, 2.0, -2.0 })
        {
            var inside = l.le(p).logical_and(u.ge(p));
            double atP = Math.Exp(-0.5 * p * p) / Math.Sqrt(2 * Math.PI) * Math.Abs(2 - p * p);
            m = where(inside, m.clamp_min(atP), m);
        }
        return m * (1 + 1e-6);
    }

    protected override Relaxation Relaxation(GeluOp op, Tensor l, Tensor u)
    {
        var box = Range(l, u);
        var narrow = ElementwiseLines.Narrow(l, u);
        var safeU = where(narrow, l + 1, u);
        var k = (GeluOp.Of(safeU) - GeluOp.Of(l)) / (safeU - l);
        var (bl, bu) = SampledLines.Offsets(GeluOp.Of, l, safeU, k, MaxCurvature(l, safeU));
        var lines = ElementwiseLines.Widened(k, bl, k, bu, l, u, box);
        // Per element, lines or constants, whichever band is narrower (on a box of width w the lines' band is their offset gap).
        var useLines = (lines.UpperBias! - lines.LowerBias!).lt(box.Upper - box.Lower).logical_and(narrow.logical_not());
        var zero = zeros_like(l);
        return new Relaxation(where(useLines, lines.LowerSlope, zero), where(useLines, lines.LowerBias!, box.Lower),
                              where(useLines, lines.UpperSlope, zero), where(useLines, lines.UpperBias!, box.Upper));
    }

    /// <summary>
    /// Branchable: the split point minimises the children's areas (<see cref="ElementwiseRule{TOp}.MinimumAreaPoint"/>; a
    /// child on one side of ±√2 has a smaller curvature bound, so its band narrows), the error for the score is sampled with
    /// the curvature bound of the lines (<see cref="MaxCurvature"/>, <see cref="LineGaps.Sampled"/>).
    /// </summary>
    protected override bool Branchable(GeluOp op) => true;

    protected override Tensor? CurvatureBound(GeluOp op, Tensor l, Tensor u) => MaxCurvature(l, u);
}
