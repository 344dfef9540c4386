using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// A bound rule whose linear relaxation has a free choice that alpha-CROWN may optimise: ReLU's lower slope, the tangent
/// points of sigmoid and tanh, the McCormick plane of a product, which input of a max-pool window bounds it from below, ...
/// <para>
/// The choice is described by parameters θ in [0, 1], one tensor <c>[B, S, *<see cref="ParameterShape"/>]</c> per node
/// and per backward pass (sub-problem first, then specification row: every row of every sub-problem picks its own
/// relaxation). The layout after <c>[B, S]</c> is the rule's business; a rule with several parameters per neuron puts
/// them on a leading axis, <c>[K, *node shape]</c>. Keeping sub-problem and row first is what lets the engine keep the
/// best parameters per row and lets branch and bound hand a parent's parameters to its children by selecting batch rows
/// (<see cref="AlphaState.Select"/>).
/// </para>
/// <para>
/// The contract that makes this safe: EVERY value in [0, 1] gives a sound relaxation. A rule therefore parameterises its
/// choice over the range where it is valid (a tangent point as <c>lo + θ·(hi − lo)</c> of the points whose tangent stays
/// below the function on the box, a slope as a fraction of the largest valid one, a convex combination of two valid
/// lines), never over raw slopes or points. The engine can then clamp every parameter to [0, 1] after each gradient step,
/// and a parent's stored values stay meaningful for a child whose box is smaller (they are re-read relative to the
/// child's own valid range). Rules clamp to [0, 1] themselves too, so a caller's stray value can never make a bound
/// unsound.
/// </para>
/// <para>
/// <see cref="InitialParameters"/> is CROWN's own choice: with it the rule's <c>BoundRule.Backward</c> gives
/// CROWN's relaxation (up to the order of floating-point sums), so iteration 0 of alpha-CROWN reproduces CROWN's bound
/// and the best bound kept is never looser than CROWN's. The rule reads its parameters from
/// <c>BackwardStep.AlphaLowerPass</c> and <c>BackwardStep.AlphaUpperPass</c>; null there means
/// CROWN's choice.
/// </para>
/// </summary>
public interface IOptimisableRule
{
    /// <summary>
    /// Shape of the parameters of one sub-problem and row of one pass (e.g. the node's shape for one per neuron, or
    /// <c>[K, *node shape]</c>), or null when this node has no free choice (e.g. LeakyReLU with slope 1, the identity).
    /// </summary>
    long[]? ParameterShape(Node node);

    /// <summary>
    /// CROWN's choice of the parameters for the given input bounds (each <c>[B, *input shape]</c>): <c>[B, *ParameterShape]</c>
    /// in [0, 1], the same for every row (the engine expands it over the rows).
    /// </summary>
    Tensor InitialParameters(Node node, IReadOnlyList<Interval> inputs);
}
