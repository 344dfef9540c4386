using Certify.Bounds;
using Certify.Bounds.Rules;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// The relaxation and branching of <c>f(x) = sin(x + s)</c>, shared by <see cref="SinRule"/> (s = 0) and
/// <see cref="CosRule"/> (s = π/2, f computed as cos itself so that bounds and forward round alike).
/// <para>
/// Lines. <c>f'' = −f</c>, so the sign of f on the box decides its curvature, and the exact range (<see cref="Bounds"/>)
/// says which case a box is in:
/// <list type="bullet">
/// <item>f ≥ 0 on the box (concave there): the chord below, the tangent at the midpoint above;</item>
/// <item>f ≤ 0 (convex): the tangent at the midpoint below, the chord above;</item>
/// <item>f changes sign (an inflection point inside): the chord ± <c>M·w²/8</c>, the interpolation error bound with
/// <c>M = max |f|</c> on the box ≥ |f''| (not 1: a box around an inflection point has a small M, so a child that just
/// crosses one is still tight).</item>
/// </list>
/// Each line is widened by <see cref="ElementwiseLines.Epsilon"/> times the size of its terms against rounding. The
/// interval constants are the fallback where the band is wider than the range, and the free choice of alpha-CROWN:
/// θ₀ and θ₁ mix the lower and upper line with the constants (a convex combination of two sound lines is sound, so every
/// θ in [0, 1] is). The earlier relaxation used the chord ± <c>w²/8</c> on every box, which stays loose however often a
/// neuron is split near an extremum.
/// </para>
/// <para>
/// Branching: the split point minimises the children's areas (<see cref="ElementwiseRule{TOp}.MinimumAreaPoint"/>) with
/// the inflection points and extrema nearest the middle as extra candidates (<see cref="PreferredPoints"/>): a split at an
/// inflection point makes both children convex or concave. The error bound for the score is sampled with
/// <c>M = max |f|</c> as the curvature bound (<see cref="LineGaps.Sampled"/>).
/// </para>
/// </summary>
public static class Sine
{
    /// <summary>Exact range of <c>sin(x + s)</c> over <c>[l, u]</c>.</summary>
    public static Interval Bounds(Tensor l, Tensor u, double shift = 0)
    {
        var a = l + shift; var b = u + shift;
        var sl = sin(a); var su = sin(b);
        var twoPi = 2 * Math.PI;
        var maxPoint = ceil((a - Math.PI / 2) / twoPi) * twoPi + Math.PI / 2;
        var minPoint = ceil((a + Math.PI / 2) / twoPi) * twoPi - Math.PI / 2;
        var hi = where(maxPoint.le(b), ones_like(l), maximum(sl, su));
        var lo = where(minPoint.le(b), -ones_like(l), minimum(sl, su));
        return new Interval(lo, hi);
    }

    /// <summary>The lines of the box, the range, the narrow-box mask, and where each line is CROWN's choice over the constants.</summary>
    sealed record Lines(Interval Range, Tensor LowK, Tensor LowB, Tensor UpK, Tensor UpB, Tensor Narrow, Tensor UseLow, Tensor UseUp);

    static Lines Make(Tensor l, Tensor u, Func<Tensor, Tensor> f, Func<Tensor, Tensor> df, double shift)
    {
        var range = Bounds(l, u, shift);
        var width = u - l;
        var narrow = width.lt(1e-9);
        var safe = where(narrow, ones_like(width), width);
        var fl = f(l); var fu = f(u);
        var k = (fu - fl) / safe;
        var b = fl - k * l;
        var margin = ElementwiseLines.Epsilon(l) * (1 + maximum(l.abs(), u.abs()));
        var m = (l + u) / 2;
        var tk = df(m);
        var tb = f(m) - tk * m;
        var concave = range.Lower.ge(0);
        var convex = range.Upper.le(0).logical_and(concave.logical_not());
        var curved = concave.logical_or(convex);
        var err = maximum(range.Lower.abs(), range.Upper.abs()) * width * width / 8 + margin;
        var lowK = where(convex, tk, k);
        var lowB = where(convex, tb - margin, where(concave, b - margin, b - err));
        var upK = where(concave, tk, k);
        var upB = where(concave, tb + margin, where(convex, b + margin, b + err));
        // A straddling box keeps the band when it is narrower than the range; a convex or concave one always takes its
        // lines (the chord lies inside the range, and the midpoint tangent's mean over the box is f(m), inside it too).
        var band = (2 * err).lt(range.Upper - range.Lower);
        var notNarrow = narrow.logical_not();
        var use = curved.logical_or(band).logical_and(notNarrow);
        return new Lines(range, lowK, lowB, upK, upB, narrow, use, use);
    }

    /// <summary>CROWN's relaxation of <c>f = sin(· + s)</c> (<paramref name="f"/>, derivative <paramref name="df"/>) on <c>[l, u]</c>.</summary>
    public static Relaxation Relaxation(Tensor l, Tensor u, Func<Tensor, Tensor> f, Func<Tensor, Tensor> df, double shift)
    {
        var lines = Make(l, u, f, df, shift);
        return Mixed(lines, lines.UseLow.to_type(l.dtype), lines.UseUp.to_type(l.dtype));
    }

    /// <summary>CROWN's choice of the two mixing weights: 1 where the line is used, 0 where the constant is.</summary>
    public static Tensor[] InitialParameters(Tensor l, Tensor u, Func<Tensor, Tensor> f, Func<Tensor, Tensor> df, double shift)
    {
        var lines = Make(l, u, f, df, shift);
        return new[] { lines.UseLow.to_type(l.dtype), lines.UseUp.to_type(l.dtype) };
    }

    /// <summary>The lower line <c>θ₀·line + (1 − θ₀)·min</c> and the upper line <c>θ₁·line + (1 − θ₁)·max</c>; narrow boxes keep the constants.</summary>
    public static Relaxation Parameterised(Tensor l, Tensor u, Func<Tensor, Tensor> f, Func<Tensor, Tensor> df, double shift, Tensor theta0, Tensor theta1) =>
        Mixed(Make(l, u, f, df, shift), theta0, theta1);

    static Relaxation Mixed(Lines x, Tensor theta0, Tensor theta1)
    {
        var lowK = theta0 * x.LowK; var lowB = theta0 * x.LowB + (1 - theta0) * x.Range.Lower;
        var upK = theta1 * x.UpK; var upB = theta1 * x.UpB + (1 - theta1) * x.Range.Upper;
        var zero = zeros_like(lowK);
        return new Relaxation(where(x.Narrow, zero, lowK), where(x.Narrow, x.Range.Lower, lowB),
                              where(x.Narrow, zero, upK), where(x.Narrow, x.Range.Upper, upB));
    }

    /// <summary><c>max |f| ≥ |f''|</c> on each box.</summary>
    public static Tensor Curvature(Tensor l, Tensor u, double shift)
    {
        var range = Bounds(l, u, shift);
        return maximum(range.Lower.abs(), range.Upper.abs());
    }

    /// <summary>
    /// The inflection points (<c>x + s = kπ</c>) and extrema (<c>x + s = kπ + π/2</c>) nearest the box's middle and one
    /// period either side of each, <c>[*, 6]</c>; those outside the box are ignored by the caller.
    /// </summary>
    public static Tensor PreferredPoints(Tensor l, Tensor u, double shift)
    {
        var m = (l + u) / 2 + shift;
        var inflection = round(m / Math.PI) * Math.PI - shift;
        var extremum = round((m - Math.PI / 2) / Math.PI) * Math.PI + Math.PI / 2 - shift;
        return stack(new[] { inflection, inflection - Math.PI, inflection + Math.PI, extremum, extremum - Math.PI, extremum + Math.PI }, -1);
    }
}
