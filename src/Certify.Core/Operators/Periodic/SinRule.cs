using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Sine. IBP is exact: the bounds are the endpoint values unless a maximum (π/2 + 2kπ) or minimum (−π/2 + 2kπ) lies in
/// the box. CROWN: the chord ± <c>(u−l)²/8</c> (interpolation error bound with <c>|sin''| ≤ 1</c>), or the interval
/// constants where those are tighter. <see cref="CosRule"/> reuses this with a shift of π/2. alpha-CROWN mixes the two
/// (see <see cref="SineRelaxation(Tensor, Tensor, Func{Tensor, Tensor}, double, Tensor, Tensor)"/>).
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
        var useLine = SineLines(l, u, f, shift).UseLine.to_type(l.dtype);
        return SineRelaxation(l, u, f, shift, useLine, useLine);
    }

    /// <summary>Two parameters per neuron: the weight of the shifted chord in the lower line (θ₀) and in the upper line (θ₁).</summary>
    protected override int ParameterCount(SinOp op) => 2;

    protected override Tensor[] InitialParameters(SinOp op, Tensor l, Tensor u) => SineInitialParameters(l, u, sin);

    protected override Relaxation ParameterisedRelaxation(SinOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta) =>
        SineRelaxation(l, u, sin, 0, theta[0], theta[1]);

    /// <summary>CROWN's choice: the shifted chords where they are narrower than the range (θ = 1), else the constants (θ = 0).</summary>
    public static Tensor[] SineInitialParameters(Tensor l, Tensor u, Func<Tensor, Tensor> f, double shift = 0)
    {
        var useLine = SineLines(l, u, f, shift).UseLine.to_type(l.dtype);
        return new[] { useLine, useLine.clone() };
    }

    /// <summary>
    /// The lower line <c>θ₀·(chord − err) + (1 − θ₀)·min</c> and the upper line <c>θ₁·(chord + err) + (1 − θ₁)·max</c>:
    /// convex combinations of two sound lines are sound, so every θ in [0, 1] is. This is the natural free choice here:
    /// sine changes curvature inside wide boxes, so tangent points have no range that is valid for every box, and the
    /// interpolation bound <c>|sin''| ≤ 1</c> gives the same shifted chord for every slope. Narrow boxes keep the constants
    /// (their chord slope is not computed).
    /// </summary>
    public static Relaxation SineRelaxation(Tensor l, Tensor u, Func<Tensor, Tensor> f, double shift, Tensor theta0, Tensor theta1)
    {
        var (range, k, b, err, narrow, _) = SineLines(l, u, f, shift);
        var lowK = theta0 * k; var lowB = theta0 * (b - err) + (1 - theta0) * range.Lower;
        var upK = theta1 * k; var upB = theta1 * (b + err) + (1 - theta1) * range.Upper;
        var zero = zeros_like(lowK);
        return new Relaxation(where(narrow, zero, lowK), where(narrow, range.Lower, lowB),
                              where(narrow, zero, upK), where(narrow, range.Upper, upB));
    }

    /// <summary>The range, the chord <c>k·x + b</c>, its interpolation error, the narrow-box mask, and where the line is narrower than the range.</summary>
    static (Interval Range, Tensor K, Tensor B, Tensor Err, Tensor Narrow, Tensor UseLine) SineLines(Tensor l, Tensor u, Func<Tensor, Tensor> f, double shift)
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
        return (range, k, b, err, narrow, useLine);
    }
}
