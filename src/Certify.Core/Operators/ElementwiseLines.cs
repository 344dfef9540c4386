using Certify.Bounds;
using Certify.Bounds.Rules;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Helpers shared by the elementwise rules of the new operators: the outward rounding margin of a line, and the
/// fallback to the interval constants where a line is not finite.
/// </summary>
public static class ElementwiseLines
{
    /// <summary>
    /// Units of rounding allowed per line: about 4,500 ulps in float64 and 17 in float32 of the largest term of the
    /// line's evaluation, far above the few roundings in computing the function, its chord or tangent and the line.
    /// </summary>
    public static double Epsilon(Tensor t) => t.dtype == ScalarType.Float64 ? 1e-12 : 2e-6;

    /// <summary>
    /// Outward margin of the line <c>k·x + b</c> on <c>[l, u]</c>: <see cref="Epsilon"/> times the size of its terms,
    /// <c>1 + |b| + |k|·max(|l|, |u|)</c>, which also bounds |f| on the box for a line that touches f.
    /// </summary>
    public static Tensor Margin(Tensor k, Tensor b, Tensor l, Tensor u) =>
        Epsilon(l) * (1 + b.abs() + k.abs() * maximum(l.abs(), u.abs()));

    /// <summary>
    /// Lines widened outward by their margins; where a slope or bias is not finite (an overflowing chord of Exp near
    /// its limit) the constants <paramref name="box"/> of the interval rule are used instead (slope 0).
    /// </summary>
    public static Relaxation Widened(Tensor lK, Tensor lB, Tensor uK, Tensor uB, Tensor l, Tensor u, Interval box)
    {
        var lo = lB - Margin(lK, lB, l, u);
        var hi = uB + Margin(uK, uB, l, u);
        var zero = zeros_like(l);
        var okL = lK.isfinite().logical_and(lo.isfinite());
        var okU = uK.isfinite().logical_and(hi.isfinite());
        return new Relaxation(where(okL, lK, zero), where(okL, lo, box.Lower), where(okU, uK, zero), where(okU, hi, box.Upper));
    }

    /// <summary>Boxes too narrow for a chord: width at most a few units of rounding of their magnitude.</summary>
    public static Tensor Narrow(Tensor l, Tensor u) =>
        (u - l).le((l.dtype == ScalarType.Float64 ? 1e-10 : 1e-6) * (1 + maximum(l.abs(), u.abs())));
}
