using Certify.Bounds;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Verification.Search;

/// <summary>
/// Bounds of the root sub-problems (one per region) that one branch and bound run leaves for a later run over the same
/// network and regions, so that the later run starts from them instead of bounding its roots again. The verifier's root
/// stage (alpha-CROWN on each region's box, as a run held to one sub-problem) keeps its unproven roots here and the main
/// neuron-split search starts from them: its first batch would otherwise repeat that alpha-CROWN pass from scratch (one
/// more optimisation over the whole network, the largest batch-of-one cost of a CNN run).
/// <para>
/// What is kept is a whole <see cref="BoundResult"/>: the rows' bounds, every node's bounds (the intermediate bounds the
/// children reuse), the optimised parameters (the children's warm start) and the lower pass's coefficients of the input
/// and of every branchable node (branching scores). A root is kept only when it was not proven, and it is used only by a
/// run over the same graph in the same dtype whose method is no stronger at the root: beta-CROWN on a root without splits
/// is alpha-CROWN, so an alpha-CROWN root serves a beta-CROWN search. Any sound bound of the root is a sound start, so
/// the only risk is a weaker start, which the method check rules out. Owns the results it holds; a run that uses one
/// takes it over.
/// </para>
/// </summary>
public sealed class RootBounds : IDisposable
{
    readonly Dictionary<int, BoundResult> _roots = new();

    internal ComputationGraph? Graph { get; private set; }
    internal ScalarType DType { get; private set; }

    /// <summary>Regions whose root bounds are held.</summary>
    public IReadOnlyCollection<int> Regions => _roots.Keys;

    /// <summary>Keeps <paramref name="bounds"/> (a batch of one, detached from every dispose scope) as region <paramref name="region"/>'s root.</summary>
    internal void Keep(ComputationGraph graph, ScalarType dtype, int region, BoundResult bounds)
    {
        if (Graph is not null && (!ReferenceEquals(Graph, graph) || DType != dtype))
        {
            foreach (var r in _roots.Values) r.Dispose();   // another run's roots: they do not describe this one
            _roots.Clear();
        }
        Graph = graph;
        DType = dtype;
        if (_roots.Remove(region, out var old)) old.Dispose();
        _roots[region] = bounds;
    }

    /// <summary>
    /// Takes region <paramref name="region"/>'s root bounds for a run over <paramref name="graph"/> in <paramref name="dtype"/>
    /// with <paramref name="method"/>, or null when none is held or it does not fit (then it stays held).
    /// </summary>
    internal BoundResult? Take(ComputationGraph graph, ScalarType dtype, BoundMethod method, int region)
    {
        if (!ReferenceEquals(Graph, graph) || DType != dtype || !_roots.TryGetValue(region, out var r)) return null;
        var needed = method == BoundMethod.BetaCrown ? BoundMethod.AlphaCrown : method;
        if (r.Method < needed) return null;
        _roots.Remove(region);
        return r;
    }

    public void Dispose()
    {
        foreach (var r in _roots.Values) r.Dispose();
        _roots.Clear();
    }
}
