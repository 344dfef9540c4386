using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// Optional per-sub-problem inputs of <see cref="BoundEngine.Compute(Tensor, Tensor, Tensor?, SubproblemInputs?)"/>,
/// designed for branch and bound. Every tensor is batch first (one row per sub-problem).
/// </summary>
public sealed class SubproblemInputs
{
    /// <summary>
    /// Neuron split decisions, keyed by the id of a branchable node (<see cref="IBranchableRule"/>; ReLU, sigmoid, ...):
    /// a tensor <c>[B, *shape of the node]</c> holding −1 (the node's input is ≤ the split point), 0 (free) or +1 (input ≥
    /// the split point). The node's input bounds are clipped accordingly (+1: lower ≥ p; −1: upper ≤ p), which for ReLU
    /// makes its relaxation exact; with beta-CROWN each split also enters the final bound as a Lagrange term.
    /// </summary>
    public IReadOnlyDictionary<int, Tensor>? Splits { get; init; }

    /// <summary>
    /// The split point p of each entry of <see cref="Splits"/>, keyed the same way, <c>[B, *shape]</c>, finite; a node
    /// without an entry (or null) splits at 0, ReLU's point.
    /// </summary>
    public IReadOnlyDictionary<int, Tensor>? SplitPoints { get; init; }

    /// <summary>
    /// Further bounds on the inputs of branchable nodes, keyed by the branchable node's id, each <c>[B, *shape]</c>
    /// (−inf/+inf where unbounded): the accumulated clips of a neuron split more than once (a sigmoid neuron split at p and
    /// then at q), of which <see cref="Splits"/> holds only the newest. The input's bounds are intersected with them.
    /// </summary>
    public IReadOnlyDictionary<int, Interval>? SplitBounds { get; init; }

    /// <summary>
    /// Known bounds of nodes, keyed by node id, each <c>[B, *shape]</c>: used as they are instead of being recomputed
    /// (split clipping still applies). Pass the bounds of layers before the deepest split to save work.
    /// </summary>
    public IReadOnlyDictionary<int, Interval>? KnownBounds { get; init; }

    /// <summary>
    /// Outer bounds of nodes known to hold on every sub-problem of the batch, keyed by node id, each <c>[B, *shape]</c> or
    /// <c>[1, *shape]</c> (shared by the batch): every bound the engine computes for such a node (interval, forward, CROWN
    /// or <see cref="KnownBounds"/>) is intersected with them, before the node's own CROWN refinement (so that neurons the
    /// outer bounds already make stable are not refined) and after it. Unlike <see cref="KnownBounds"/> they never replace
    /// a computed bound, so they can only tighten. Branch and bound passes here the intermediate bounds it tightened once
    /// for the whole root box by linear programming (valid on every sub-box and under every split); they must be sound for
    /// the engine's dtype (rounded outward), since the engine takes them as they are.
    /// </summary>
    public IReadOnlyDictionary<int, Interval>? OuterBounds { get; init; }

    /// <summary>
    /// Alpha slopes and beta multipliers to start alpha-/beta-CROWN from (for instance the best ones of the parent
    /// sub-problem), each <c>[B, S, *shape]</c>; a negative slope means "none given" (CROWN's choice is used there), and
    /// multipliers are clamped at 0 and kept only where the neuron is split. Split signs in it are ignored (see <see cref="Splits"/>).
    /// </summary>
    public AlphaState? Alphas { get; init; }

    /// <summary>
    /// When this deadline passes (or its token is cancelled), optional tightening stops, so that a caller's time limit is
    /// not overrun by one slow batch: alpha/beta optimisation at its next iteration (returning the best bound so far), and
    /// the CROWN refinement of intermediate bounds at its next chunk of rows (the remaining neurons keep interval bounds).
    /// Bounds stay sound. <see cref="Deadline.None"/> (the default) never stops.
    /// </summary>
    public Deadline OptimiseUntil { get; init; }

    /// <summary>
    /// The caller's proof targets of the rows (<see cref="ProofTargets"/>): alpha-/beta-CROWN stops a phase as soon as every
    /// row of every sub-problem clears its target (with <see cref="NeedUpper"/> false), or is proven or stalled (see
    /// <see cref="EarlyStop"/>). Null (default): only the stall rule of <see cref="BoundOptions.EarlyStopWindow"/> applies.
    /// </summary>
    public ProofTargets? StopWhenProved { get; init; }

    /// <summary>When false only the lower bounds of the rows are computed (upper bounds are +inf); saves half the work.</summary>
    public bool NeedUpper { get; init; } = true;

    /// <summary>
    /// Node ids whose coefficients in the final lower-bound pass (CROWN, or alpha-CROWN with its best slopes) are returned in
    /// <see cref="BoundResult.LowerCoefficients"/>: node 0 gives the linear lower bound's input coefficients, a ReLU node
    /// the weights of its outputs (branching heuristics). Null (default) returns none.
    /// </summary>
    public IReadOnlyCollection<int>? CoefficientNodes { get; init; }
}
