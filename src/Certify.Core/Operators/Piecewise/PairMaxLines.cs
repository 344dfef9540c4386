using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Linear bounds of <c>max(a, b)</c> over the box <c>a ∈ [la, ua]</c>, <c>b ∈ [lb, ub]</c>, elementwise:
/// <c>Ca·a + Cb·b + Bias</c> for the lower and for the upper line (all <c>[B, *shape]</c>; the coefficients are ≥ 0).
/// <list type="bullet">
/// <item>a dominates (la ≥ ub): both lines are a; b dominates (lb ≥ ua): both are b.</item>
/// <item>otherwise, with <c>max(a, b) = a + relu(b − a)</c> and <c>d = b − a ∈ [lb − ua, ub − la] = [ld, ud]</c>
/// (ld &lt; 0 &lt; ud): above, ReLU's chord <c>relu(d) ≤ s·(d − ld)</c>, s = ud/(ud − ld), i.e.
/// <c>(1 − s)·a + s·b − s·ld</c>, widened by a rounding margin; below, <c>a + α·d</c> with ReLU's adaptive α ∈ {0, 1}
/// (1 when ud &gt; −ld), i.e. b or a. Both hold at every point of the box, whatever the correlation of a and b.</item>
/// </list>
/// Min uses these through <c>min(a, b) = −max(−a, −b)</c> (<see cref="ForMin"/>).
/// </summary>
public readonly record struct PairMaxLines(Tensor LowerA, Tensor LowerB, Tensor LowerBias, Tensor UpperA, Tensor UpperB, Tensor UpperBias)
{
    /// <summary>The lines of <c>max(a, b)</c>.</summary>
    public static PairMaxLines ForMax(Tensor la, Tensor ua, Tensor lb, Tensor ub)
    {
        var one = ones_like(la); var zero = zeros_like(la);
        var aDom = la.ge(ub); var bDom = lb.ge(ua).logical_and(aDom.logical_not());
        var mixed = aDom.logical_or(bDom).logical_not();
        var ld = lb - ua; var ud = ub - la;
        var s = where(mixed, ud / where(mixed, ud - ld, one), zero);
        var bias = -(s * ld);
        double eps = ElementwiseLines.Epsilon(la);
        var scale = maximum(maximum(la.abs(), ua.abs()), maximum(lb.abs(), ub.abs()));
        bias = where(mixed, bias + eps * (1 + bias.abs() + scale), zero);
        var alpha = ud.gt(-ld).to_type(la.dtype);
        var lowA = where(aDom, one, where(bDom, zero, 1 - alpha));
        var lowB = where(aDom, zero, where(bDom, one, alpha));
        var upA = where(aDom, one, where(bDom, zero, 1 - s));
        var upB = where(aDom, zero, where(bDom, one, s));
        return new PairMaxLines(lowA, lowB, zero, upA, upB, bias);
    }

    /// <summary>
    /// The lines of <c>min(a, b) = −max(−a, −b)</c>: the max of the negated box, whose lower line
    /// <c>ca·(−a) + cb·(−b) + c</c> gives <c>min ≤ ca·a + cb·b − c</c> and whose upper line gives the lower one.
    /// </summary>
    public static PairMaxLines ForMin(Tensor la, Tensor ua, Tensor lb, Tensor ub)
    {
        var m = ForMax(-ua, -la, -ub, -lb);
        return new PairMaxLines(m.UpperA, m.UpperB, -m.UpperBias, m.LowerA, m.LowerB, -m.LowerBias);
    }
}
