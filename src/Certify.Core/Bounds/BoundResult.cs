using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// What <see cref="BoundEngine"/> computed for a batch of B sub-problems: the bounds of the specification rows
/// <c>C·y</c> (<c>[B, S]</c>) and the bounds of every node's output (<c>[B, *shape]</c>), which branch and bound and
/// MILP encodings reuse. Owns its tensors; dispose it when done.
/// </summary>
public sealed class BoundResult : IDisposable
{
    internal BoundResult(BoundMethod method, Tensor lower, Tensor upper, Interval?[] nodes, IReadOnlyList<string> fallbacks, AlphaState? alphas,
        IReadOnlyDictionary<int, Tensor>? coefficients = null)
    {
        LowerCoefficients = coefficients;
        Method = method;
        Lower = lower;
        Upper = upper;
        _nodes = nodes;
        IbpFallbacks = fallbacks;
        Alphas = alphas;
    }

    readonly Interval?[] _nodes;

    /// <summary>The method that produced these bounds.</summary>
    public BoundMethod Method { get; }

    /// <summary>Lower bounds of the rows <c>C·y</c>, <c>[B, S]</c> (of the flattened outputs when C was null).</summary>
    public Tensor Lower { get; }

    /// <summary>Upper bounds of the rows, <c>[B, S]</c> (+inf when upper bounds were not requested).</summary>
    public Tensor Upper { get; }

    /// <summary>Bounds of node <paramref name="id"/>'s output <c>[B, *shape]</c>, or null when it was not computed.</summary>
    public Interval? Node(int id) => _nodes[id];

    /// <summary>Bounds of every node's output, indexed by node id (null where not computed).</summary>
    public IReadOnlyList<Interval?> Nodes => _nodes;

    /// <summary>
    /// Nodes whose op has no CROWN rule and were replaced by their interval bounds in the backward passes
    /// ("name (Op)"), so that the user can see where CROWN lost precision. Empty for IBP and for supported graphs.
    /// </summary>
    public IReadOnlyList<string> IbpFallbacks { get; }

    /// <summary>The best alpha slopes found per sub-problem and row (alpha-CROWN only), for reuse by children.</summary>
    public AlphaState? Alphas { get; }

    /// <summary>
    /// Coefficients of the requested nodes' outputs in the final lower-bound pass (<see cref="SubproblemInputs.CoefficientNodes"/>),
    /// each <c>[B, S, *shape]</c>; a node the pass never reached is absent. Null when none were requested or for IBP.
    /// </summary>
    public IReadOnlyDictionary<int, Tensor>? LowerCoefficients { get; }

    /// <summary>
    /// Backward passes over the specification rows that produced <see cref="Lower"/>/<see cref="Upper"/>: 1 for IBP and
    /// CROWN, the evaluated iterates for alpha-/beta-CROWN (early stop makes it fewer than the iteration count). A work
    /// counter for searches and tests (no clock).
    /// </summary>
    public int RowPasses { get; init; } = 1;

    /// <summary>
    /// A copy of this result that owns clones of all of its tensors, outside every dispose scope, so that it outlives the
    /// caller's scope (branch and bound hands a root's bounds from one run to the next, <c>RootBounds</c>); the new owner
    /// disposes it. Node bounds that share a tensor here get separate clones.
    /// </summary>
    public BoundResult DetachedCopy()
    {
        static Tensor Own(Tensor t) => t.detach().clone().DetachFromDisposeScope();
        var nodes = _nodes.Select(n => n is { } iv ? new Interval(Own(iv.Lower), Own(iv.Upper)) : (Interval?)null).ToArray();
        AlphaState? alphas = null;
        if (Alphas is not null)
        {
            alphas = new AlphaState();
            foreach (var (k, v) in Alphas.LowerPass) alphas.LowerPass[k] = Own(v);
            foreach (var (k, v) in Alphas.UpperPass) alphas.UpperPass[k] = Own(v);
            foreach (var (k, v) in Alphas.BetaLowerPass) alphas.BetaLowerPass[k] = Own(v);
            foreach (var (k, v) in Alphas.BetaUpperPass) alphas.BetaUpperPass[k] = Own(v);
            foreach (var (k, v) in Alphas.SplitSigns) alphas.SplitSigns[k] = Own(v);
            foreach (var (k, v) in Alphas.SplitPoints) alphas.SplitPoints[k] = Own(v);
        }
        var coefficients = LowerCoefficients?.ToDictionary(kv => kv.Key, kv => Own(kv.Value));
        return new BoundResult(Method, Own(Lower), Own(Upper), nodes, IbpFallbacks, alphas, coefficients) { RowPasses = RowPasses };
    }

    public void Dispose()
    {
        if (LowerCoefficients is not null) foreach (var t in LowerCoefficients.Values) t.Dispose();
        Lower.Dispose();
        Upper.Dispose();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var n in _nodes)
        {
            if (n is not { } iv) continue;
            if (seen.Add(iv.Lower)) iv.Lower.Dispose();
            if (seen.Add(iv.Upper)) iv.Upper.Dispose();
        }
        Alphas?.Dispose();
    }
}
