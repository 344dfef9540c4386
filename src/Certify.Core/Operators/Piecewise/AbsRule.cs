using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// <c>|x|</c>. IBP is exact: <c>[l, u]</c> when l ≥ 0, <c>[−u, −l]</c> when u ≤ 0, else <c>[0, max(−l, u)]</c>. CROWN: stable
/// elements are exact (slope ±1); on a box across 0, |x| is convex, so the chord through <c>(l, −l)</c> and <c>(u, u)</c>
/// is above it and any line <c>s·x</c> with s ∈ [−1, 1] below it; CROWN's adaptive choice, as for ReLU, is s = 1 when
/// u &gt; −l, −1 when u &lt; −l and 0 when the box is symmetric. Only elements across 0 need tight input bounds.
/// Exactly encoded for MILP as <c>2·relu(x) − x</c>.
/// </summary>
public sealed class AbsRule : ElementwiseRule<AbsOp>
{
    public override bool ExactImageOfInput => true;

    protected override Interval Ibp(AbsOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var (l, u) = (inputs[0].Lower, inputs[0].Upper);
        var lo = where(l.ge(0), l, where(u.le(0), -u, zeros_like(l)));
        return new Interval(lo, maximum(l.abs(), u.abs()));
    }

    public override Tensor? RefinementMask(Node node, int inputIndex, Interval input) => input.Lower.lt(0).logical_and(input.Upper.gt(0));


    protected override Relaxation Relaxation(AbsOp op, Tensor l, Tensor u)
    {
        var active = l.ge(0); var inactive = u.le(0);
        var crossing = active.logical_or(inactive).logical_not();
        var one = ones_like(l);
        var width = where(crossing, u - l, one);
        var chordK = (u.abs() - l.abs()) / width;
        var chordB = l.abs() - chordK * l;
        chordB = chordB + ElementwiseLines.Margin(chordK, chordB, l, u);
        var support = (u + l).sign();
        var stable = where(active, one, -one);
        return new Relaxation(where(crossing, support, stable), null, where(crossing, chordK, stable), where(crossing, chordB, zeros_like(l)));
    }

    /// <summary>
    /// Branching: split at 0, which leaves each child linear (exact). Errors: the chord lies at most
    /// <c>2·u·(−l)/(u − l)</c> above |x| (at 0), the support line <c>±x</c> at most <c>2·min(u, −l)</c> below.
    /// </summary>
    protected override bool Branchable(AbsOp op) => true;

    protected override bool SplitAtZeroIsExact(AbsOp op) => true;

    protected override Tensor Unstable(AbsOp op, Tensor l, Tensor u) => l.lt(0).logical_and(u.gt(0));

    protected override Tensor BranchPoint(AbsOp op, Tensor l, Tensor u) => zeros_like(l);

    protected override (Tensor Lower, Tensor Upper) RelaxationError(AbsOp op, Tensor l, Tensor u)
    {
        var width = (u - l).clamp_min(1e-12);
        return (2 * minimum(u, -l).clamp_min(0), 2 * u.clamp_min(0) * (-l).clamp_min(0) / width);
    }
}
