using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Sound offsets of lines of a given slope for a smooth function whose curvature is bounded: for
/// <c>g(x) = f(x) − k·x</c> sampled at N equally spaced points <c>t_j</c> of <c>[l, u]</c> (spacing h), every x of the box
/// satisfies <c>min_j g(t_j) − M·h²/8 ≤ g(x) ≤ max_j g(t_j) + M·h²/8</c>, where <c>M ≥ |f''|</c> on the box: between two
/// neighbouring samples g deviates from its linear interpolant by at most <c>M·h²/8</c>, and the interpolant lies between
/// the two sampled values. So <c>k·x + b_lower ≤ f(x) ≤ k·x + b_upper</c>, tight to <c>M·w²/(8(N−1)²)</c> on a box of width w.
/// Used where f changes curvature inside the box (GELU), where no single tangent or chord is valid.
/// </summary>
public static class SampledLines
{
    /// <summary>Samples per box: the gap is <c>M·w²/8192</c>.</summary>
    public const int Points = 33;

    /// <summary>
    /// <c>(b_lower, b_upper)</c> for slope <paramref name="k"/> on <c>[l, u]</c> (all <c>[B, *shape]</c>), with
    /// <paramref name="curvature"/> ≥ max |f''| on each box. Rounding is not included (the caller widens the lines).
    /// </summary>
    public static (Tensor Lower, Tensor Upper) Offsets(Func<Tensor, Tensor> f, Tensor l, Tensor u, Tensor k, Tensor curvature)
    {
        var steps = linspace(0, 1, Points, dtype: l.dtype, device: l.device);                 // [N]
        var w = (u - l).unsqueeze(-1);
        var t = l.unsqueeze(-1) + w * steps;                                                   // [B, *shape, N]
        var g = f(t) - k.unsqueeze(-1) * t;
        var h = (u - l) / (Points - 1);
        var gap = curvature * h * h / 8;
        return (g.amin(new long[] { -1 }) - gap, g.amax(new long[] { -1 }) + gap);
    }
}
