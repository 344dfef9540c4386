using Certify.Checker;

namespace Certify.Verification.Proofs;

/// <summary>
/// Rebuilds the bisection tree of an input-splitting search from its closed leaves, in pre-order: at each node, the
/// dimension whose midpoint (as the search computed it, in float32 or float64) separates the leaves, none straddling it.
/// The search only ever bisects at midpoints, so a complete search gives back its own tree; a part of the box that no
/// leaf covers becomes an <see cref="ProofNode.Open"/> node, which the checker rejects (a dropped sub-problem is visible,
/// not hidden).
/// </summary>
static class ProofTree
{
    public static void Build<T>(double[] lo, double[] hi, IReadOnlyList<T> leaves, Func<T, (double[] Lo, double[] Hi)> box, Func<T, Leaf> leaf, List<ProofNode> output)
    {
        // Explicit stack, pre-order: a node, then its first child's subtree, then its second's.
        var stack = new Stack<(double[] Lo, double[] Hi, List<T> Leaves)>();
        stack.Push((lo, hi, leaves.ToList()));
        while (stack.Count > 0)
        {
            var (l, h, set) = stack.Pop();
            if (set.Count == 0) { output.Add(new ProofNode(Open: "no closed sub-problem of the search covers this box")); continue; }
            if (set.Count == 1 && Same(box(set[0]), l, h)) { output.Add(new ProofNode(Leaf: leaf(set[0]))); continue; }
            if (FindSplit(l, h, set, box) is { } split)
            {
                var (d, p) = split;
                var lower = set.Where(x => box(x).Hi[d] <= p).ToList();
                var upper = set.Where(x => box(x).Hi[d] > p).ToList();
                output.Add(new ProofNode(Split: new InputSplit(d, p)));
                var lh = (double[])h.Clone(); lh[d] = p;
                var ul = (double[])l.Clone(); ul[d] = p;
                stack.Push((ul, h, upper));
                stack.Push((l, lh, lower));
                continue;
            }
            var same = set.FirstOrDefault(x => Same(box(x), l, h));
            output.Add(same is not null ? new ProofNode(Leaf: leaf(same)) : new ProofNode(Open: "the closed sub-problems here do not form a bisection"));
        }
    }

    /// <summary>
    /// A midpoint that no leaf straddles: first one that some leaf ends at (a split the search made), else any (then one
    /// side holds no leaf and becomes an open node: the part a search dropped shows up as exactly that box).
    /// </summary>
    static (int, double)? FindSplit<T>(double[] l, double[] h, List<T> set, Func<T, (double[] Lo, double[] Hi)> box) =>
        FindSplit(l, h, set, box, requireUse: true) ?? FindSplit(l, h, set, box, requireUse: false);

    static (int, double)? FindSplit<T>(double[] l, double[] h, List<T> set, Func<T, (double[] Lo, double[] Hi)> box, bool requireUse)
    {
        for (int d = 0; d < l.Length; d++)
        {
            foreach (var p in new[] { (double)(((float)l[d] + (float)h[d]) / 2f), (l[d] + h[d]) / 2 })
            {
                if (!(l[d] < p && p < h[d])) continue;
                bool straddles = false, used = false;
                foreach (var x in set)
                {
                    var (xl, xh) = box(x);
                    if (xl[d] < p && p < xh[d]) { straddles = true; break; }
                    if (xh[d] == p || xl[d] == p) used = true;
                }
                if (!straddles && (used || !requireUse)) return (d, p);
            }
        }
        return null;
    }

    static bool Same((double[] Lo, double[] Hi) b, double[] l, double[] h) => b.Lo.AsSpan().SequenceEqual(l) && b.Hi.AsSpan().SequenceEqual(h);
}
