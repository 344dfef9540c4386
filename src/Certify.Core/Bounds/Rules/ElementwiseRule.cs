using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>
/// Base of the rules of elementwise nonlinear functions with one input: a subclass gives the interval rule and a sound
/// linear relaxation on the input box; the backward step is shared.
/// <para>
/// A subclass with a free choice in its relaxation (a tangent point, a slope) also gives
/// <see cref="ParameterCount"/> parameters per neuron, CROWN's values of them (<see cref="InitialParameters(TOp, Tensor, Tensor)"/>)
/// and the relaxation for any values in [0, 1] (<see cref="ParameterisedRelaxation"/>); alpha-CROWN then optimises them
/// (<see cref="IOptimisableRule"/>). One parameter per neuron is stored as <c>[B, S, *shape]</c>, K of them as
/// <c>[B, S, K, *shape]</c>.
/// </para>
/// <para>
/// A subclass may also declare its neurons branchable (<see cref="IBranchableRule"/>, off by default): the split point,
/// by default, is the one that minimises the total area of the two children's relaxations
/// (<see cref="MinimumAreaPoint"/>), and the relaxation's error, by default, is sampled (<see cref="SampledError"/>);
/// piecewise-linear ops override both with their kinks and exact errors.
/// </para>
/// </summary>
public abstract class ElementwiseRule<TOp> : BoundRule<TOp>, IOptimisableRule, IBranchableRule, IElementwiseRelaxation where TOp : Op
{
    /// <summary>CROWN's relaxation on the input's bounds (from the cache when a pass made it): what <see cref="Backward"/> applies without parameters.</summary>
    public Relaxation CrownRelaxation(Node node, Interval input, RelaxationCache? cache) =>
        cache is not null ? cache.GetOrAdd(node.Id, node.Shape.Length, input, () => Relaxation((TOp)node.Op, input.Lower, input.Upper))
            : Relaxation((TOp)node.Op, input.Lower, input.Upper);

    public override bool NeedsInputBounds => true;

    /// <summary>Without parameters both passes apply one relaxation by sign of the coefficients (<see cref="Relax.Elementwise"/>).</summary>
    public override bool MirroredPasses => true;

    /// <summary>Lines below and above the function on <c>[l, u]</c> (each <c>[B, *shape]</c>): CROWN's choice.</summary>
    protected abstract Relaxation Relaxation(TOp op, Tensor l, Tensor u);

    /// <summary>Parameters of each neuron's relaxation (0, the default: no free choice).</summary>
    protected virtual int ParameterCount(TOp op) => 0;

    /// <summary>
    /// CROWN's choice of the <see cref="ParameterCount"/> parameters, each <c>[B, *shape]</c> in [0, 1]: the
    /// <see cref="ParameterisedRelaxation"/> at these values is <see cref="Relaxation(TOp, Tensor, Tensor)"/>.
    /// </summary>
    protected virtual Tensor[] InitialParameters(TOp op, Tensor l, Tensor u) => Array.Empty<Tensor>();

    /// <summary>
    /// The relaxation chosen by <paramref name="theta"/> (<see cref="ParameterCount"/> tensors broadcastable with the
    /// bounds, values in [0, 1]); <paramref name="l"/>, <paramref name="u"/> are <c>[B, 1, *shape]</c> when the parameters
    /// are per row <c>[B, S, *shape]</c>. Must be sound for every value in [0, 1].
    /// </summary>
    protected virtual Relaxation ParameterisedRelaxation(TOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta) => Relaxation(op, l, u);

    /// <summary>
    /// The part of <see cref="ParameterisedRelaxation(TOp, Tensor, Tensor, IReadOnlyList{Tensor})"/> that does not depend on
    /// the parameters (the S-shaped rules' valid tangent ranges, found by bisection), as tensors shaped like
    /// <paramref name="l"/>, or null (the default: nothing worth keeping). alpha-CROWN evaluates the relaxation of every node
    /// twice per iteration (lower and upper pass) over the same fixed input bounds, so these tensors are made once per
    /// engine call and input bounds (<see cref="RelaxationCache.GetOrAddPrepared"/>) and handed to
    /// <see cref="PreparedRelaxation"/>. Sound
    /// because they are a pure function of the op and the bounds, reused only for the very same bound tensors.
    /// </summary>
    protected virtual Tensor[]? Prepare(TOp op, Tensor l, Tensor u) => null;

    /// <summary>The relaxation for <paramref name="theta"/> given <see cref="Prepare"/>'s tensors of the same bounds (by default it ignores them).</summary>
    protected virtual Relaxation PreparedRelaxation(TOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta, IReadOnlyList<Tensor> prepared) =>
        ParameterisedRelaxation(op, l, u, theta);

    /// <summary>
    /// Forward mode through CROWN's relaxation on the input's concrete bounds (<see cref="Relax.Forward"/>): every
    /// elementwise function with a sound relaxation gets forward-mode bounds without code of its own.
    /// </summary>
    public override LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds) =>
        Relax.Forward(inputs[0], Relaxation((TOp)node.Op, inputBounds[0].Lower, inputBounds[0].Upper));

    public long[]? ParameterShape(Node node)
    {
        int k = ParameterCount((TOp)node.Op);
        return k == 0 ? null : k == 1 ? node.Shape.ToArray() : new[] { (long)k }.Concat(node.Shape).ToArray();
    }

    public Tensor InitialParameters(Node node, IReadOnlyList<Interval> inputs)
    {
        var op = (TOp)node.Op;
        var theta = InitialParameters(op, inputs[0].Lower, inputs[0].Upper);
        return theta.Length == 1 ? theta[0] : stack(theta, 1);
    }

    public override BackwardResult Backward(BackwardStep step)
    {
        var x = step.Inputs[0];
        var op = (TOp)step.Node.Op;
        int k = ParameterCount(op);
        if (k == 0 || (step.AlphaLowerPass is null && step.AlphaUpperPass is null))
        {
            var rel = CrownRelaxation(op, step);
            return Relax.Elementwise(step, rel, rel);
        }
        var l = x.Lower.unsqueeze(1); var u = x.Upper.unsqueeze(1);      // [B, 1, *shape]
        Relaxation? crown = null;
        Tensor[]? prepared = null; bool madePrepared = false;
        Relaxation For(Tensor? theta)
        {
            if (theta is null) return crown ??= CrownRelaxation(op, step);
            var t = theta.clamp(0, 1);
            var parts = k == 1 ? new[] { t } : Enumerable.Range(0, k).Select(i => t.select(2, i)).ToArray();
            if (!madePrepared)
            {
                prepared = step.Relaxations is { } cache ? cache.GetOrAddPrepared(step.Node.Id, x, () => Prepare(op, l, u)) : Prepare(op, l, u);
                madePrepared = true;
            }
            return prepared is null ? ParameterisedRelaxation(op, l, u, parts) : PreparedRelaxation(op, l, u, parts, prepared);
        }
        return Relax.Elementwise(step, For(step.AlphaLowerPass), For(step.AlphaUpperPass));
    }

    /// <summary>CROWN's relaxation on the step's input bounds, from the step's cache when an earlier pass made it.</summary>
    Relaxation CrownRelaxation(TOp op, BackwardStep step)
    {
        var x = step.Inputs[0];
        return step.Relaxations is { } cache ? cache.GetOrAdd(step.Node.Id, step.Node.Shape.Length, x, () => Relaxation(op, x.Lower, x.Upper)) : Relaxation(op, x.Lower, x.Upper);
    }

    // ---------------------------------------------------------------- branching (IBranchableRule)

    /// <summary>Whether branch and bound may split this op's neurons (false by default: an op opts in).</summary>
    protected virtual bool Branchable(TOp op) => false;

    /// <summary>See <see cref="IBranchableRule.ExactSplitAtZero"/>: the op is linear on each side of 0 (false by default).</summary>
    protected virtual bool SplitAtZeroIsExact(TOp op) => false;

    /// <summary>Neurons below this relative width are not split (their relaxation error shrinks with the square of the width).</summary>
    protected const double MinSplitWidth = 1e-3;

    /// <summary>By default every neuron wider than <see cref="MinSplitWidth"/>·(1 + max(|l|, |u|)).</summary>
    protected virtual Tensor Unstable(TOp op, Tensor l, Tensor u) => (u - l).gt((maximum(l.abs(), u.abs()) + 1) * MinSplitWidth);

    /// <summary>By default <see cref="MinimumAreaPoint"/>.</summary>
    protected virtual Tensor BranchPoint(TOp op, Tensor l, Tensor u) => MinimumAreaPoint(op, l, u);

    /// <summary>By default <see cref="SampledError"/>.</summary>
    protected virtual (Tensor Lower, Tensor Upper) RelaxationError(TOp op, Tensor l, Tensor u) => SampledError(op, l, u);

    const int PointCandidates = 16;
    const int ErrorSamples = 9;

    /// <summary>
    /// The split point that minimises the sum of the two children's relaxation areas, <c>A(l, p) + A(p, u)</c>, where
    /// <c>A(a, b) = ∫ₐᵇ (upper(x) − lower(x)) dx = (b − a)·(upper(m) − lower(m))</c>, m = (a + b)/2 (the gap of two lines
    /// is linear, so its mean is its value at the midpoint), with the lines of <see cref="Relaxation(TOp, Tensor, Tensor)"/>
    /// (CROWN's choice on each child). There is no closed form in general: on a convex piece with the chord above and a
    /// tangent below, <c>A(a, b) = (b − a)·((f(a) + f(b))/2 − f(m))</c> (the midpoint tangent maximises ∫ tangent), and
    /// setting the derivative of the sum to 0 gives an equation in f and f' at p, (l + p)/2 and (p + u)/2. So p is found
    /// numerically: the best of <see cref="PointCandidates"/> evenly spaced interior points and the midpoint, then the
    /// best of as many in the two cells around it (a resolution of (u − l)/17², far finer than the area changes). Falls back to the midpoint
    /// where the minimiser is not strictly inside (a point interval). This is GenBaB's criterion (split where the children's
    /// relaxations are tightest), computed per neuron instead of looked up in a precomputed table.
    /// </summary>
    protected Tensor MinimumAreaPoint(TOp op, Tensor l, Tensor u)
    {
        using var noGrad = no_grad();
        var lo = l.detach().unsqueeze(-1); var hi = u.detach().unsqueeze(-1);                  // [*, 1]
        var frac = arange(1, PointCandidates + 1, dtype: l.dtype, device: l.device) / (PointCandidates + 1); // [G]
        var a = lo; var b = hi;
        Tensor best = (lo + hi) / 2;
        var preferred = PreferredPoints(op, l.detach(), u.detach());
        if (preferred is not null)
            preferred = where(preferred.gt(lo).logical_and(preferred.lt(hi)), preferred, best.expand_as(preferred));
        for (int round = 0; round < 2; round++)
        {
            // The first round also tries the midpoint (so the point is never worse than bisection) and the rule's preferred
            // points, the second the best so far.
            var p = cat(round == 0 && preferred is not null ? new[] { a + (b - a) * frac, best, preferred } : new[] { a + (b - a) * frac, best }, -1);
            var area = Area(op, lo.expand_as(p), p) + Area(op, p, hi.expand_as(p));
            area = area.nan_to_num(double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity);
            best = p.gather(-1, area.argmin(-1, keepdim: true));                                  // [*, 1]
            var step = (b - a) / (PointCandidates + 1);
            a = maximum(best - step, lo); b = minimum(best + step, hi);   // a preferred point may lie near an end
        }
        var point = best.squeeze(-1);
        var inside = point.gt(l).logical_and(point.lt(u));
        return where(inside, point, (l + u) / 2);
    }

    /// <summary>Area between the relaxation's lines on <c>[a, b]</c> (elementwise).</summary>
    Tensor Area(TOp op, Tensor a, Tensor b)
    {
        var r = Relaxation(op, a, b);
        var m = (a + b) / 2;
        var gap = (r.UpperSlope - r.LowerSlope) * m;
        if (r.UpperBias is { } ub) gap = gap + ub;
        if (r.LowerBias is { } lb) gap = gap - lb;
        return (b - a) * gap;
    }

    /// <summary>
    /// The relaxation's largest distance below and above the function over <see cref="ErrorSamples"/> evenly spaced points
    /// of <c>[l, u]</c>, ends included, raised by the most the gap can exceed the samples between them when the rule gives
    /// a curvature bound (<see cref="CurvatureBound"/>; <see cref="LineGaps.Sampled"/>): then an upper bound, else an
    /// estimate from inside (the true maximum may fall between samples).
    /// </summary>
    protected (Tensor Lower, Tensor Upper) SampledError(TOp op, Tensor l, Tensor u)
    {
        using var noGrad = no_grad();
        var lo = l.detach(); var hi = u.detach();
        return LineGaps.Sampled(x => op.Forward(new[] { x }), Relaxation(op, lo, hi), lo, hi, CurvatureBound(op, lo, hi), ErrorSamples);
    }

    /// <summary>An upper bound on |f''| over each box <c>[l, u]</c> (for <see cref="SampledError"/>), or null when none is known (the default).</summary>
    protected virtual Tensor? CurvatureBound(TOp op, Tensor l, Tensor u) => null;

    /// <summary>
    /// Split points worth trying besides the evenly spaced ones in <see cref="MinimumAreaPoint"/>, <c>[*, K]</c> (a point
    /// outside <c>(l, u)</c> is ignored), or null (the default): points where the relaxation changes form, such as the
    /// inflection points of a periodic function, where the children become convex or concave. The area still decides.
    /// </summary>
    protected virtual Tensor? PreferredPoints(TOp op, Tensor l, Tensor u) => null;

    public bool IsBranchable(Node node) => Branchable((TOp)node.Op);

    public bool ExactSplitAtZero(Node node) => SplitAtZeroIsExact((TOp)node.Op);

    public Tensor Unstable(Node node, Tensor l, Tensor u) => Unstable((TOp)node.Op, l, u);

    public Tensor BranchPoint(Node node, Tensor l, Tensor u) => BranchPoint((TOp)node.Op, l, u);

    public (Tensor Lower, Tensor Upper) RelaxationError(Node node, Tensor l, Tensor u) => RelaxationError((TOp)node.Op, l, u);
}
