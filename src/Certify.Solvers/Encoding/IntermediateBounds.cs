using Certify.Bounds;
using static TorchSharp.torch;

namespace Certify.Solvers.Encoding;

/// <summary>
/// Per-node bounds on intermediate values (flat per-sample arrays, indexed like the node's output), handed to the exact
/// back-ends from outside, e.g. CROWN bounds from the bound engine or a branch-and-bound sub-domain's split bounds.
/// They must hold for every input of the region being encoded: the encoder intersects them with its own interval
/// bounds and imposes them as constraints, so a bound that is too tight would cut off real behaviour.
/// </summary>
public sealed class IntermediateBounds
{
    readonly Dictionary<int, (double[] Lower, double[] Upper)> _byNode = new();

    /// <summary>Sets the bounds of node <paramref name="nodeId"/>; both arrays have the node's size.</summary>
    public IntermediateBounds Set(int nodeId, double[] lower, double[] upper)
    {
        if (lower.Length != upper.Length) throw new ArgumentException($"bounds of node {nodeId}: {lower.Length} lower vs {upper.Length} upper values");
        _byNode[nodeId] = (lower, upper);
        return this;
    }

    /// <summary>The bounds given for node <paramref name="nodeId"/>, if any.</summary>
    public bool TryGet(int nodeId, out double[] lower, out double[] upper)
    {
        if (_byNode.TryGetValue(nodeId, out var b)) { lower = b.Lower; upper = b.Upper; return true; }
        lower = upper = Array.Empty<double>();
        return false;
    }

    /// <summary>
    /// Takes every node's bounds of sub-problem <paramref name="index"/> from a bound-engine result. The engine may
    /// compute in float32, whose rounding is not covered by its bounds in exact arithmetic, so each bound is widened
    /// outward by <paramref name="relativeSlack"/>·(1 + |bound|) before it is imposed on the exact encoding.
    /// </summary>
    public static IntermediateBounds FromBoundResult(BoundResult result, int index = 0, double relativeSlack = 1e-5)
    {
        var b = new IntermediateBounds();
        for (int id = 1; id < result.Nodes.Count; id++)
        {
            if (result.Nodes[id] is not { } iv) continue;
            using var scope = NewDisposeScope();
            var lo = iv.Lower[index].reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray();
            var hi = iv.Upper[index].reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray();
            for (int j = 0; j < lo.Length; j++)
            {
                lo[j] -= relativeSlack * (1 + Math.Abs(lo[j]));
                hi[j] += relativeSlack * (1 + Math.Abs(hi[j]));
                if (double.IsNaN(lo[j])) lo[j] = double.NegativeInfinity;
                if (double.IsNaN(hi[j])) hi[j] = double.PositiveInfinity;
            }
            b.Set(id, lo, hi);
        }
        return b;
    }

    /// <summary>Node ids that have bounds.</summary>
    public IEnumerable<int> Nodes => _byNode.Keys;
}
