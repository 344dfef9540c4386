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

    /// <summary>Node ids that have bounds.</summary>
    public IEnumerable<int> Nodes => _byNode.Keys;
}
