using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// LeakyReLU <c>x ≥ 0 ? x : α·x</c>. For α ≤ 1 the function is convex: the upper line is the chord through
/// <c>(l, α·l)</c> and <c>(u, u)</c>, the lower line is <c>x</c> or <c>α·x</c> (both support it), chosen as CROWN does for
/// ReLU (<c>x</c> when <c>u &gt; −l</c>). For α &gt; 1 it is concave and the roles swap. alpha-CROWN optimises the
/// support line's slope between α and 1 (see <see cref="ParameterisedRelaxation"/>).
/// </summary>
public sealed class LeakyReluRule : ElementwiseRule<LeakyReluOp>
{
    protected override Interval Ibp(LeakyReluOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var x = inputs[0];
        Tensor F(Tensor t) => nn.functional.leaky_relu(t, op.Alpha);
        if (op.Alpha >= 0) return Monotone(x, F);
        // Negative slope: not monotone; the minimum is 0 when the box contains 0.
        var fl = F(x.Lower); var fu = F(x.Upper);
        var lo = where(x.Lower.lt(0).logical_and(x.Upper.gt(0)), zeros_like(fl), minimum(fl, fu));
        return new Interval(lo, maximum(fl, fu));
    }

    public override Tensor? RefinementMask(Node node, int inputIndex, Interval input) => ReluRule.Unstable(input.Lower, input.Upper);

    protected override Relaxation Relaxation(LeakyReluOp op, Tensor l, Tensor u) =>
        ParameterisedRelaxation(op, l, u, InitialParameters(op, l, u));

    /// <summary>One parameter per neuron (the support line's slope); none for α = 1, the identity.</summary>
    protected override int ParameterCount(LeakyReluOp op) => op.Alpha == 1 ? 0 : 1;

    /// <summary>CROWN's support line: <c>x</c> (θ = 1) when <c>u &gt; −l</c>, else <c>α·x</c> (θ = 0).</summary>
    protected override Tensor[] InitialParameters(LeakyReluOp op, Tensor l, Tensor u) => new[] { u.gt(l.neg()).to_type(l.dtype) };

    /// <summary>
    /// The support line through the origin has slope <c>k = (1−θ)·α + θ·1</c> on unstable neurons: for α ≤ 1 every
    /// <c>k ∈ [α, 1]</c> stays below (<c>k·x ≤ x</c> for x ≥ 0, <c>k·x ≤ α·x</c> for x &lt; 0), for α &gt; 1 every
    /// <c>k ∈ [1, α]</c> stays above. The other line is the chord; stable neurons are exact whatever θ.
    /// </summary>
    protected override Relaxation ParameterisedRelaxation(LeakyReluOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta)
    {
        double a = op.Alpha;
        var t = theta[0];
        var lr = l.clamp_max(0);
        var ur = maximum(u.clamp_min(0), lr + 1e-8);
        var chord = (ur - lr * a) / (ur - lr);      // slope of the chord; 1 on active, α on inactive neurons
        var chordBias = lr * (a - chord);
        var support = (1 - t) * a + t;               // exactly α at θ = 0 and 1 at θ = 1 (CROWN's two choices)
        // Stable neurons: exact.
        var one = ones_like(support);
        var active = l.ge(0); var inactive = u.le(0);
        support = where(active, one, where(inactive, one * a, support));
        if (a <= 1) return new Relaxation(support, null, chord, chordBias);
        return new Relaxation(chord, chordBias, support, null);
    }

    /// <summary>
    /// Branching: like ReLU, split at 0, which leaves each child linear (exact); not branchable for α = 1 (the identity).
    /// The errors are ReLU's scaled by <c>|1 − α|</c>: the chord lies at most <c>|1 − α|·u·(−l)/(u − l)</c> from the
    /// function (at 0) and CROWN's support line at most <c>|1 − α|·min(u, −l)</c> (for α &gt; 1 the lines swap roles).
    /// </summary>
    protected override bool Branchable(LeakyReluOp op) => op.Alpha != 1;

    protected override bool SplitAtZeroIsExact(LeakyReluOp op) => true;

    protected override Tensor Unstable(LeakyReluOp op, Tensor l, Tensor u) => ReluRule.Unstable(l, u);

    protected override Tensor BranchPoint(LeakyReluOp op, Tensor l, Tensor u) => zeros_like(l);

    protected override (Tensor Lower, Tensor Upper) RelaxationError(LeakyReluOp op, Tensor l, Tensor u)
    {
        double k = Math.Abs(1 - op.Alpha);
        var width = (u - l).clamp_min(1e-12);
        var chord = u.clamp_min(0) * (-l).clamp_min(0) / width * k;
        var support = minimum(u, -l).clamp_min(0) * k;
        return op.Alpha <= 1 ? (support, chord) : (chord, support);
    }
}
