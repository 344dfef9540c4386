using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>
/// Upper bounds on the largest gap between a function and a line over a box, for the branching score of elementwise rules
/// (<see cref="IBranchableRule.RelaxationError"/>). The score only ranks candidate splits, yet it must not be an estimate
/// from inside: a gap that sampling misses (the chord of a convex function is furthest from it between samples) would
/// rank a loose neuron behind tighter ones. Two cases cover every rule:
/// <list type="bullet">
/// <item>f convex or concave on the box (<see cref="OneCurvature"/>): the gap on one side is convex, so its maximum is at
/// an end, and on the other side concave, so its maximum is where its derivative changes sign, bracketed by bisection
/// and bounded on the bracket by the tangents at its ends (a concave function lies below its tangents).</item>
/// <item>f with a bound M on |f''| over the box (<see cref="Sampled"/>): the gap g = line − f has |g''| ≤ M, so between
/// two samples h apart it exceeds their linear interpolation by at most <c>M·h²/8</c>.</item>
/// </list>
/// </summary>
public static class LineGaps
{
    /// <summary>Bisection steps bracketing the maximum of a concave gap: the bracket is <c>(u − l)/2⁸</c> wide.</summary>
    const int BracketSteps = 8;

    /// <summary>
    /// The largest value of <c>f − lower</c> and of <c>upper − f</c> on <c>[l, u]</c> for f convex (where
    /// <paramref name="convex"/>) or concave (elsewhere) on each box, with <paramref name="df"/> its derivative; each ≥ 0.
    /// Exact for the convex side, at most a bracket's tangent error above the truth for the concave one.
    /// </summary>
    public static (Tensor Lower, Tensor Upper) OneCurvature(Func<Tensor, Tensor> f, Func<Tensor, Tensor> df, Tensor convex, Relaxation r, Tensor l, Tensor u)
    {
        using var noGrad = no_grad();
        Tensor Low(Tensor x) => r.LowerBias is { } b ? r.LowerSlope * x + b : r.LowerSlope * x;
        Tensor Up(Tensor x) => r.UpperBias is { } b ? r.UpperSlope * x + b : r.UpperSlope * x;
        // f − line is convex where f is convex (max at an end), line − f concave; the reverse where f is concave.
        var fl = f(l); var fu = f(u);
        var lowEnds = maximum(fl - Low(l), fu - Low(u));
        var upEnds = maximum(Up(l) - fl, Up(u) - fu);
        var lowConcave = ConcaveMaximum(x => f(x) - Low(x), x => df(x) - r.LowerSlope, l, u);
        var upConcave = ConcaveMaximum(x => Up(x) - f(x), x => r.UpperSlope - df(x), l, u);
        var lower = where(convex, lowEnds, lowConcave);
        var upper = where(convex, upConcave, upEnds);
        return (Clean(lower), Clean(upper));
    }

    /// <summary>
    /// An upper bound on the maximum of a concave g over <c>[l, u]</c> given its derivative dg (decreasing): bisection on
    /// the sign of dg brackets the maximiser in <c>[a, b]</c>, and there <c>g(x) ≤ min(g(a) + dg(a)·(b − a), g(b) −
    /// dg(b)·(b − a))</c> (each end's tangent lies above g), also at most the larger end value when dg does not change sign.
    /// </summary>
    public static Tensor ConcaveMaximum(Func<Tensor, Tensor> g, Func<Tensor, Tensor> dg, Tensor l, Tensor u)
    {
        using var noGrad = no_grad();
        var a = l.clone(); var b = u.clone();
        for (int i = 0; i < BracketSteps; i++)
        {
            var m = (a + b) / 2;
            var rising = dg(m).ge(0);
            a = where(rising, m, a); b = where(rising, b, m);
        }
        var w = b - a;
        var fromA = (g(a) + dg(a).clamp_min(0) * w).nan_to_num(double.PositiveInfinity, double.PositiveInfinity, double.NegativeInfinity);
        var fromB = (g(b) + (-dg(b)).clamp_min(0) * w).nan_to_num(double.PositiveInfinity, double.PositiveInfinity, double.NegativeInfinity);
        return maximum(minimum(fromA, fromB), maximum(g(l), g(u)).nan_to_num(0, 0, 0));
    }

    /// <summary>
    /// Gaps sampled at <paramref name="samples"/> evenly spaced points of each box (ends included), raised by
    /// <c>M·h²/8</c> with <paramref name="curvature"/> = M ≥ |f''| on the box (null: no bound known, the sampled values
    /// alone, an estimate from inside).
    /// </summary>
    public static (Tensor Lower, Tensor Upper) Sampled(Func<Tensor, Tensor> f, Relaxation r, Tensor l, Tensor u, Tensor? curvature, int samples)
    {
        using var noGrad = no_grad();
        var lo = l.unsqueeze(-1); var hi = u.unsqueeze(-1);
        var x = lo + (hi - lo) * linspace(0, 1, samples, dtype: l.dtype, device: l.device);       // [*, K]
        var fx = f(x);
        var below = r.LowerSlope.unsqueeze(-1) * x; if (r.LowerBias is { } lb) below = below + lb.unsqueeze(-1);
        var above = r.UpperSlope.unsqueeze(-1) * x; if (r.UpperBias is { } ub) above = above + ub.unsqueeze(-1);
        var lower = (fx - below).amax(new long[] { -1 });
        var upper = (above - fx).amax(new long[] { -1 });
        if (curvature is not null)
        {
            var h = (u - l) / (samples - 1);
            var slack = curvature * h * h / 8;
            lower = lower + slack; upper = upper + slack;
        }
        return (Clean(lower), Clean(upper));
    }

    /// <summary>
    /// Gaps at the given points <c>[*, K]</c> of each box: exact for a piecewise-linear f when the points are the box's
    /// ends and the kinks inside it (the gap between a line and f is then piecewise linear, largest at one of them).
    /// </summary>
    public static (Tensor Lower, Tensor Upper) AtPoints(Func<Tensor, Tensor> f, Relaxation r, Tensor points)
    {
        using var noGrad = no_grad();
        var fx = f(points);
        var below = r.LowerSlope.unsqueeze(-1) * points; if (r.LowerBias is { } lb) below = below + lb.unsqueeze(-1);
        var above = r.UpperSlope.unsqueeze(-1) * points; if (r.UpperBias is { } ub) above = above + ub.unsqueeze(-1);
        return (Clean((fx - below).amax(new long[] { -1 })), Clean((above - fx).amax(new long[] { -1 })));
    }

    /// <summary>Nonnegative; NaN (a line undefined on a degenerate box) counts as no gap, +inf stays.</summary>
    static Tensor Clean(Tensor t) => t.nan_to_num(0, double.PositiveInfinity, 0).clamp_min(0);
}
