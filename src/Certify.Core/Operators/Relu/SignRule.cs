using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Sign: nondecreasing, so IBP is <c>[sign(l), sign(u)]</c>, the exact range. It is discontinuous at 0, yet a box
/// containing 0 still has useful lines: below, <c>sign(l) + s·x</c> for <c>0 ≤ s ≤ (1 − sign(l))/u</c> (at most −1 left
/// of 0, at most 0 at 0, at most 1 at u); above, <c>sign(u) + s·x</c> for <c>0 ≤ s ≤ (1 + sign(u))/(−l)</c>. A box on one
/// side of 0 is exact with constants. CROWN takes the steepest line where it encloses less area than the constant (as
/// ReLU does: below when <c>u &gt; −l</c>, above when <c>−l &gt; u</c>, and always on a box with an end at 0);
/// alpha-CROWN optimises the slopes <c>s = θ·s_max</c>.
/// </summary>
public sealed class SignRule : ElementwiseRule<SignOp>
{
    protected override Interval Ibp(SignOp op, Node node, IReadOnlyList<Interval> inputs) => Monotone(inputs[0], sign);

    public override bool ExactImageOfInput => true;

    /// <summary>Only boxes that contain 0 need tight bounds: elsewhere the constant lines are exact.</summary>
    public override Tensor? RefinementMask(Node node, int inputIndex, Interval input) => input.Lower.le(0).logical_and(input.Upper.ge(0));

    protected override Relaxation Relaxation(SignOp op, Tensor l, Tensor u) => ParameterisedRelaxation(op, l, u, InitialParameters(op, l, u));

    /// <summary>Two parameters per neuron: the slope fractions of the lower (θ₀) and upper (θ₁) lines.</summary>
    protected override int ParameterCount(SignOp op) => 2;

    protected override Tensor[] InitialParameters(SignOp op, Tensor l, Tensor u) => new[]
    {
        l.eq(0).logical_or(u.gt(l.neg())).to_type(l.dtype),
        u.eq(0).logical_or(l.neg().gt(u)).to_type(l.dtype),
    };

    protected override Relaxation ParameterisedRelaxation(SignOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta)
    {
        var sl = sign(l); var su = sign(u);
        var lowLine = l.le(0).logical_and(u.gt(0));
        var upLine = l.lt(0).logical_and(u.ge(0));
        var one = ones_like(l);
        var lowSlope = where(lowLine, theta[0] * ((1 - sl) / where(lowLine, u, one)), zeros_like(theta[0]));
        var upSlope = where(upLine, theta[1] * ((1 + su) / where(upLine, l.neg(), one)), zeros_like(theta[1]));
        // A unit of rounding at the far end (s_max·u may round above 2) is covered by a small outward margin.
        double eps = l.dtype == ScalarType.Float64 ? 1e-12 : 1e-6;
        var lowBias = sl - where(lowLine, full_like(l, eps), zeros_like(l));
        var upBias = su + where(upLine, full_like(l, eps), zeros_like(l));
        return new Relaxation(lowSlope, lowBias, upSlope, upBias);
    }

    // ---------------------------------------------------------------- branching

    /// <summary>
    /// Sign splits at 0, once: the children are <c>x ≤ 0</c> and <c>x ≥ 0</c>, and both contain 0, where sign is 0, so
    /// neither is constant: on <c>[0, u]</c> sign takes 0 and 1, on <c>[l, 0]</c> −1 and 0. Each child keeps the lines
    /// above, which are sound at 0 (on <c>[0, u]</c> the lower line <c>s·x</c> with <c>s ≤ 1/u</c> is 0 at 0 and the upper
    /// one the constant 1). No further split can remove the jump at the end of a child, so a box with an end at 0 is not
    /// unstable, and a neuron is split at most once: the compact form of <see cref="SplitAtZeroIsExact"/>, where the one
    /// split is the whole story (as for ReLU, though here the split tightens the relaxation without making it exact).
    /// </summary>
    protected override bool Branchable(SignOp op) => true;

    protected override bool SplitAtZeroIsExact(SignOp op) => true;

    protected override Tensor Unstable(SignOp op, Tensor l, Tensor u) => l.lt(0).logical_and(u.gt(0));

    protected override Tensor BranchPoint(SignOp op, Tensor l, Tensor u) => zeros_like(l);

    /// <summary>
    /// Exact gaps of CROWN's lines: sign is −1 on <c>[l, 0)</c>, 0 at 0, 1 on <c>(0, u]</c>, and each line is linear, so
    /// each gap is largest at an end of a piece: below, <c>−1 − low(l)</c> (at l &lt; 0; the slope is ≥ 0), <c>0 − low(0)</c>,
    /// and <c>1 − low(0)</c> as x → 0⁺ (when u &gt; 0); above, symmetrically.
    /// </summary>
    protected override (Tensor Lower, Tensor Upper) RelaxationError(SignOp op, Tensor l, Tensor u)
    {
        using var noGrad = no_grad();
        var lo = l.detach(); var hi = u.detach();
        var r = Relaxation(op, lo, hi);
        Tensor Low(Tensor x) => r.LowerSlope * x + r.LowerBias!;
        Tensor Up(Tensor x) => r.UpperSlope * x + r.UpperBias!;
        var none = full_like(lo, double.NegativeInfinity);
        var zero = zeros_like(lo);
        var holdsZero = lo.le(0).logical_and(hi.ge(0));
        var lower = maximum(maximum(sign(lo) - Low(lo), sign(hi) - Low(hi)), where(holdsZero, -Low(zero), none));
        lower = maximum(lower, where(lo.le(0).logical_and(hi.gt(0)), 1 - Low(zero), none));
        var upper = maximum(maximum(Up(lo) - sign(lo), Up(hi) - sign(hi)), where(holdsZero, Up(zero), none));
        upper = maximum(upper, where(lo.lt(0).logical_and(hi.ge(0)), Up(zero) + 1, none));
        return (lower.clamp_min(0), upper.clamp_min(0));
    }
}
