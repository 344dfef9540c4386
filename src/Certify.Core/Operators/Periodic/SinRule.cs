using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Sine. IBP is exact: the bounds are the endpoint values unless a maximum (π/2 + 2kπ) or minimum (−π/2 + 2kπ) lies in
/// the box. CROWN: the chord ± <c>(u−l)²/8</c> (interpolation error bound with <c>|sin''| ≤ 1</c>), or the interval
/// constants where those are tighter. <see cref="CosRule"/> reuses this with a shift of π/2.
/// </summary>
public sealed class SinRule : ElementwiseRule<SinOp>
{
    protected override Interval Ibp(SinOp op, Node node, IReadOnlyList<Interval> inputs) => SineBounds(inputs[0].Lower, inputs[0].Upper);

    protected override Relaxation Relaxation(SinOp op, Tensor l, Tensor u) => SineRelaxation(l, u, sin);

    /// <summary>Exact range of sin over <c>[l, u]</c>.</summary>
    public static Interval SineBounds(Tensor l, Tensor u)
    {
        var sl = sin(l); var su = sin(u);
        var twoPi = 2 * Math.PI;
        var maxPoint = ceil((l - Math.PI / 2) / twoPi) * twoPi + Math.PI / 2;
        var minPoint = ceil((l + Math.PI / 2) / twoPi) * twoPi - Math.PI / 2;
        var hi = where(maxPoint.le(u), ones_like(l), maximum(sl, su));
        var lo = where(minPoint.le(u), -ones_like(l), minimum(sl, su));
        return new Interval(lo, hi);
    }

    /// <summary>Chord ± (u−l)²/8 or the range constants, whichever is narrower per neuron; <paramref name="f"/> is sin or cos.</summary>
    public static Relaxation SineRelaxation(Tensor l, Tensor u, Func<Tensor, Tensor> f, double shift = 0)
    {
        var range = SineBounds(l + shift, u + shift);
        var width = u - l;
        var narrow = width.lt(1e-9);
        var safe = where(narrow, ones_like(width), width);
        var fl = f(l); var fu = f(u);
        var k = (fu - fl) / safe;
        var b = fl - k * l;
        double eps = l.dtype == ScalarType.Float64 ? 1e-12 : 2e-6;
        var err = width * width / 8 + eps * (1 + maximum(l.abs(), u.abs()));
        var useLine = (2 * err).lt(range.Upper - range.Lower).logical_and(narrow.logical_not());
        var zero = zeros_like(l);
        return new Relaxation(where(useLine, k, zero), where(useLine, b - err, range.Lower),
                              where(useLine, k, zero), where(useLine, b + err, range.Upper));
    }
}
