using Certify.Checker;

namespace Certify.Verification.Proofs;

/// <summary>
/// Rebuilds the tree of a branch-and-bound search from its closed leaves, in pre-order. A leaf is known by its input box
/// and, for neuron splitting, its split signs (per branchable neuron: −1 input ≤ 0, +1 input ≥ 0, 0 free). At each node:
/// <list type="bullet">
/// <item>a neuron free on the path but split in every leaf below becomes a neuron split (children: the leaves with sign
/// −1, then +1). Any such neuron will do, not only the one the search split first: the leaves with sign +1 are exactly
/// the leaves of the search's tree with every split of that neuron resolved to its + side, itself a tree;</item>
/// <item>else the input dimension whose midpoint (as the search computed it, in float32 or float64) separates the leaves,
/// none straddling it, becomes an input bisection.</item>
/// </list>
/// The search only ever bisects at midpoints and splits ReLU-like neurons at 0, so a complete search gives back a tree of
/// its own leaves; a part that no leaf covers becomes an <see cref="ProofNode.Open"/> node, which the checker rejects (a
/// dropped sub-problem is visible, not hidden).
/// </summary>
static class ProofTree
{
    /// <summary>A closed leaf: its box, its split signs (null: none) and its witness.</summary>
    public interface ILeaf
    {
        double[] Lo { get; }
        double[] Hi { get; }
        sbyte[]? Signs { get; }
    }

    /// <summary>
    /// Writes the tree over the box [<paramref name="lo"/>, <paramref name="hi"/>] of <paramref name="leaves"/> into
    /// <paramref name="output"/> in pre-order, each leaf's witness by <paramref name="leaf"/>; <paramref name="neurons"/>
    /// is the length of every leaf's signs and <paramref name="locate"/> maps a global neuron index to (node, neuron).
    /// </summary>
    public static void Build<T>(double[] lo, double[] hi, int neurons, IReadOnlyList<T> leaves, Func<T, Leaf> leaf,
        Func<int, NeuronSplit> locate, List<ProofNode> output) where T : ILeaf
    {
        // Explicit stack, pre-order: a node, then its first child's subtree, then its second's.
        var stack = new Stack<(double[] Lo, double[] Hi, sbyte[] Signs, List<T> Leaves)>();
        stack.Push((lo, hi, new sbyte[neurons], leaves.ToList()));
        while (stack.Count > 0)
        {
            var (l, h, signs, set) = stack.Pop();
            if (set.Count == 0) { output.Add(new ProofNode(Open: "no closed sub-problem of the search covers this part")); continue; }
            if (set.Count == 1 && Same(set[0], l, h, signs)) { output.Add(new ProofNode(Leaf: leaf(set[0]))); continue; }
            if (CommonNeuron(signs, set) is { } j)
            {
                output.Add(new ProofNode(Neuron: locate(j)));
                var plus = (sbyte[])signs.Clone(); plus[j] = 1;
                var minus = (sbyte[])signs.Clone(); minus[j] = -1;
                stack.Push((l, h, plus, set.Where(x => x.Signs![j] > 0).ToList()));
                stack.Push((l, h, minus, set.Where(x => x.Signs![j] < 0).ToList()));
                continue;
            }
            if (FindSplit(l, h, set) is { } split)
            {
                var (d, p) = split;
                var lower = set.Where(x => x.Hi[d] <= p).ToList();
                var upper = set.Where(x => x.Hi[d] > p).ToList();
                output.Add(new ProofNode(Split: new InputSplit(d, p)));
                var lh = (double[])h.Clone(); lh[d] = p;
                var ul = (double[])l.Clone(); ul[d] = p;
                stack.Push((ul, h, signs, upper));
                stack.Push((l, lh, signs, lower));
                continue;
            }
            var same = set.FirstOrDefault(x => Same(x, l, h, signs));
            output.Add(same is not null ? new ProofNode(Leaf: leaf(same)) : new ProofNode(Open: "the closed sub-problems here do not form a tree of splits"));
        }
    }

    /// <summary>A neuron free in <paramref name="path"/> and split in every leaf of <paramref name="set"/>, or null.</summary>
    static int? CommonNeuron<T>(sbyte[] path, List<T> set) where T : ILeaf
    {
        if (set[0].Signs is not { } first) return null;
        for (int j = 0; j < first.Length; j++)
            if (first[j] != 0 && path[j] == 0 && set.All(x => x.Signs![j] != 0)) return j;
        return null;
    }

    /// <summary>
    /// A midpoint that no leaf straddles: first one that some leaf ends at (a split the search made), else any (then one
    /// side holds no leaf and becomes an open node: the part a search dropped shows up as exactly that box).
    /// </summary>
    static (int, double)? FindSplit<T>(double[] l, double[] h, List<T> set) where T : ILeaf =>
        FindSplit(l, h, set, requireUse: true) ?? FindSplit(l, h, set, requireUse: false);

    static (int, double)? FindSplit<T>(double[] l, double[] h, List<T> set, bool requireUse) where T : ILeaf
    {
        for (int d = 0; d < l.Length; d++)
        {
            foreach (var p in new[] { (double)(((float)l[d] + (float)h[d]) / 2f), (l[d] + h[d]) / 2 })
            {
                if (!(l[d] < p && p < h[d])) continue;
                bool straddles = false, used = false;
                foreach (var x in set)
                {
                    if (x.Lo[d] < p && p < x.Hi[d]) { straddles = true; break; }
                    if (x.Hi[d] == p || x.Lo[d] == p) used = true;
                }
                if (!straddles && (used || !requireUse)) return (d, p);
            }
        }
        return null;
    }

    static bool Same<T>(T x, double[] l, double[] h, sbyte[] signs) where T : ILeaf =>
        x.Lo.AsSpan().SequenceEqual(l) && x.Hi.AsSpan().SequenceEqual(h)
        && (x.Signs is { } s ? s.AsSpan().SequenceEqual(signs) : signs.All(v => v == 0));
}
