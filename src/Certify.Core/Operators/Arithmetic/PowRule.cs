using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// <c>x^p</c> for a constant p. IBP: p = 1 identity; positive integers (even: 0 inside the box, odd: monotone); other
/// positive p only on <c>x ≥ 0</c> (monotone). CROWN: p = 2 is convex (tangent at the midpoint below, chord above);
/// other p ≥ 2 use the chord ± <c>M(u−l)²/8</c> with <c>M = |p(p−1)|·max(|l|,|u|)^{p−2}</c> bounding |f''|;
/// any other exponent uses its interval constants.
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

    protected override Relaxation Relaxation(PowOp op, Tensor l, Tensor u)
    {
        double p = op.Exponent;
        var zero = zeros_like(l);
        if (p == 1) return new Relaxation(ones_like(l), null, ones_like(l), null);
        if (p == 2)
        {
            var m = (l + u) / 2;
            return new Relaxation(2 * m, -(m * m), l + u, -(l * u));
        }
        var box = Ibp(op, null!, new[] { new Interval(l, u) });
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
}
