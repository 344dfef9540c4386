using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// ReLU. IBP: <c>[relu(l), relu(u)]</c>. CROWN: on an unstable neuron (<c>l &lt; 0 &lt; u</c>) the upper line is the chord
/// <c>u/(u−l)·(x − l)</c> and the lower line is <c>α·x</c>: CROWN's adaptive choice α = 1 when <c>u &gt; −l</c>, else 0;
/// alpha-CROWN passes α per neuron and per row (<see cref="BackwardStep.AlphaLowerPass"/>, <c>[B, S, *shape]</c>; see
/// <see cref="IOptimisableRule"/>), optimised in [0, 1].
/// Stable neurons are exact (slope 1 when <c>l ≥ 0</c>, 0 when <c>u ≤ 0</c>). Split decisions reach this rule as clipped
/// input bounds (see <see cref="SubproblemInputs.Splits"/>), which makes the split neurons stable, and, with beta-CROWN,
/// as Lagrange multipliers of the split constraints (<see cref="BackwardStep.BetaLowerPass"/>, applied by CROWN).
/// </summary>
public sealed class ReluRule : ElementwiseRule<ReluOp>
{
    protected override Interval Ibp(ReluOp op, Node node, IReadOnlyList<Interval> inputs) => Monotone(inputs[0], t => nn.functional.relu(t));

    /// <summary>Only unstable neurons need tight input bounds: the relaxation of a stable neuron is exact whatever its bounds.</summary>
    public override Tensor? RefinementMask(Node node, int inputIndex, Interval input) => Unstable(input.Lower, input.Upper);

    public override bool ExactImageOfInput => true;

    /// <summary>Neurons whose sign is not fixed by the bounds: <c>l &lt; 0 &lt; u</c>.</summary>
    public static Tensor Unstable(Tensor l, Tensor u) => l.lt(0).logical_and(u.gt(0));

    /// <summary>Upper line (slope, intercept) and CROWN's adaptive lower slope; one formula for stable and unstable neurons.</summary>
    public static (Tensor UpperSlope, Tensor UpperBias, Tensor LowerSlope) Lines(Tensor l, Tensor u)
    {
        var lr = l.clamp_max(0);
        var ur = maximum(u.clamp_min(0), lr + 1e-8); // keeps the slope defined where l = u = 0
        var slope = ur / (ur - lr);
        var bias = -lr * slope;
        var lower = slope.gt(0.5).to_type(l.dtype);   // 1 where u > −l (and on active neurons), else 0
        return (slope, bias, lower);
    }

    /// <summary>
    /// Lower line <c>α·L(x)</c> (α ∈ {0, 1}, CROWN's choice; valid as α ≥ 0 and relu(y) ≥ α·y), upper line
    /// <c>s·U(x) + t</c> with the chord (s ≥ 0, so relu(y) ≤ s·y + t ≤ s·U(x) + t).
    /// </summary>
    public override LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds)
    {
        var x = inputs[0];
        var (us, ub, ls) = Lines(inputBounds[0].Lower, inputBounds[0].Upper);
        return new LinearBounds(x.LowerW * ls.unsqueeze(-1), x.LowerB * ls, x.UpperW * us.unsqueeze(-1), x.UpperB * us + ub);
    }

    protected override Relaxation Relaxation(ReluOp op, Tensor l, Tensor u)
    {
        var (us, ub, ls) = Lines(l, u);
        return new Relaxation(ls, null, us, ub);
    }

    /// <summary>One parameter per neuron: the lower slope itself (any slope in [0, 1] is a valid lower line of ReLU).</summary>
    protected override int ParameterCount(ReluOp op) => 1;

    protected override Tensor[] InitialParameters(ReluOp op, Tensor l, Tensor u) => new[] { Lines(l, u).LowerSlope };

    public override BackwardResult Backward(BackwardStep step)
    {
        if (step.AlphaLowerPass is null && step.AlphaUpperPass is null) return base.Backward(step);
        var x = step.Inputs[0];
        var (us, ub, ls) = Lines(x.Lower, x.Upper);
        var unstable = Unstable(x.Lower, x.Upper).unsqueeze(1);                             // [B, 1, *shape]
        Tensor Slope(Tensor? alpha) => alpha is null ? ls : where(unstable, alpha.clamp(0, 1), ls.unsqueeze(1)); // [B, S, *shape]
        return Relax.Elementwise(step,
            new Relaxation(Slope(step.AlphaLowerPass), null, us, ub),
            new Relaxation(Slope(step.AlphaUpperPass), null, us, ub));
    }

    /// <summary>
    /// Branching: split at 0, which makes both children linear (the classic ReLU split; the split constraints' multipliers
    /// are applied by CROWN for every branchable rule, see <see cref="Relax.AddSplitMultipliers"/>). The errors are exact:
    /// the chord lies at most <c>u·(−l)/(u−l)</c> above (at 0), CROWN's lower line at most <c>min(u, −l)</c> below.
    /// </summary>
    protected override bool Branchable(ReluOp op) => true;

    protected override bool SplitAtZeroIsExact(ReluOp op) => true;

    protected override Tensor Unstable(ReluOp op, Tensor l, Tensor u) => Unstable(l, u);

    protected override Tensor BranchPoint(ReluOp op, Tensor l, Tensor u) => zeros_like(l);

    protected override (Tensor Lower, Tensor Upper) RelaxationError(ReluOp op, Tensor l, Tensor u)
    {
        var width = (u - l).clamp_min(1e-12);
        return (minimum(u, -l).clamp_min(0), u.clamp_min(0) * (-l).clamp_min(0) / width);
    }
}
