using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// CROWN's backward pass: starting from coefficients <c>A</c> of one node's output (<c>[B, S, *shape]</c>), walks the
/// graph in reverse topological order, letting each node's rule turn the coefficients of its output into coefficients
/// of its inputs plus constants, and finally concretises over the input box:
/// lower = <c>A·centre − |A|·radius + constant</c>. Both passes (bounding <c>A·y</c> below and above) run together.
/// </summary>
public sealed class CrownPropagator
{
    readonly ComputationGraph _graph;
    readonly BoundRule[] _rules;

    /// <summary>A propagator over <paramref name="graph"/> using the rule of each node.</summary>
    public CrownPropagator(ComputationGraph graph, BoundRule[] rules)
    {
        _graph = graph;
        _rules = rules;
    }

    /// <summary>
    /// Bounds of <c>lowerA·y</c> from below and of <c>upperA·y</c> from above, <c>[B, S]</c> each (null for a pass not
    /// asked for), where y is node <paramref name="start"/>'s output. <paramref name="bounds"/> holds the bounds of every
    /// node the relaxations need (at least the inputs of nonlinear nodes before <paramref name="start"/>, and node 0).
    /// <paramref name="alphas"/> supplies optimisable ReLU slopes for this pass (alpha-CROWN), or null.
    /// </summary>
    /// <param name="stopAt">Nodes where the pass stops and concretises over the node's own interval bounds instead of
    /// going further (IBP with C folded into the trailing affine layers uses this); null: only the input.</param>
    public (Tensor? Lower, Tensor? Upper) Backward(int start, Tensor? lowerA, Tensor? upperA, IReadOnlyList<Interval?> bounds,
        AlphaState? alphas = null, Func<int, bool>? stopAt = null)
    {
        var any = lowerA ?? upperA ?? throw new ArgumentException("no coefficients given");
        long batch = any.shape[0], rows = any.shape[1];
        var accL = new Tensor?[start + 1];
        var accU = new Tensor?[start + 1];
        accL[start] = lowerA;
        accU[start] = upperA;
        Tensor? biasL = null, biasU = null;
        for (int i = start; i >= 1; i--)
        {
            if (accL[i] is null && accU[i] is null) continue;
            var node = _graph.Nodes[i];
            if (stopAt is not null && stopAt(i))
            {
                var iv = bounds[i] ?? throw new InvalidOperationException($"bounds of node '{node.Name}' are missing");
                if (accL[i] is { } sl) biasL = Add(biasL, Concretise(sl, iv, -1));
                if (accU[i] is { } su) biasU = Add(biasU, Concretise(su, iv, +1));
                accL[i] = null; accU[i] = null;
                continue;
            }
            var inputs = node.Inputs.Select(k => _graph.Nodes[k]).ToArray();
            var step = new BackwardStep
            {
                Node = node,
                InputNodes = inputs,
                Inputs = node.Inputs.Select(k => bounds[k] ?? throw new InvalidOperationException($"bounds of node '{_graph.Nodes[k].Name}' are missing")).ToArray(),
                Output = bounds[i] ?? default,
                LowerA = accL[i],
                UpperA = accU[i],
                AlphaLowerPass = alphas?.LowerPass.GetValueOrDefault(i),
                AlphaUpperPass = alphas?.UpperPass.GetValueOrDefault(i),
            };
            if (!_rules[i].HasCrownRule(node) && bounds[i] is null)
                throw new InvalidOperationException($"node '{node.Name}' ({node.Op.Kind}) needs its interval bounds for the IBP fallback");
            var r = _rules[i].Backward(step);
            var (consumedL, consumedU) = (accL[i], accU[i]);
            accL[i] = null; accU[i] = null;
            for (int k = 0; k < node.Inputs.Count; k++)
            {
                int src = node.Inputs[k];
                if (r.LowerA[k] is { } la) accL[src] = accL[src] is null ? la : accL[src]! + la;
                if (r.UpperA[k] is { } ua) accU[src] = accU[src] is null ? ua : accU[src]! + ua;
            }
            FreeConsumed(consumedL, consumedU, lowerA, upperA, accL, accU, start);
            if (r.LowerBias is { } lb) biasL = biasL is null ? lb : biasL + lb;
            if (r.UpperBias is { } ub) biasU = biasU is null ? ub : biasU + ub;
        }
        var box = bounds[0] ?? throw new InvalidOperationException("the input box is missing");
        Tensor? lower = null, upper = null;
        if (lowerA is not null)
        {
            lower = biasL ?? zeros(batch, rows, dtype: any.dtype, device: any.device);
            if (accL[0] is { } a) lower = lower + Concretise(a, box, -1);
        }
        if (upperA is not null)
        {
            upper = biasU ?? zeros(batch, rows, dtype: any.dtype, device: any.device);
            if (accU[0] is { } a) upper = upper + Concretise(a, box, +1);
        }
        return (lower, upper);
    }

    static Tensor Add(Tensor? a, Tensor b) => a is null ? b : a + b;

    /// <summary>
    /// Disposes a node's coefficient tensors once its rule has consumed them (peak memory is then about one layer's
    /// coefficients), except tensors the caller owns or that are still waiting at another node (rules may pass a tensor on
    /// unchanged, e.g. Add to both operands). Autograd keeps its own references to what it needs.
    /// </summary>
    static void FreeConsumed(Tensor? la, Tensor? ua, Tensor? startL, Tensor? startU, Tensor?[] accL, Tensor?[] accU, int upTo)
    {
        bool InUse(Tensor t)
        {
            if (ReferenceEquals(t, startL) || ReferenceEquals(t, startU)) return true;
            for (int k = 0; k <= upTo; k++)
                if (ReferenceEquals(accL[k], t) || ReferenceEquals(accU[k], t)) return true;
            return false;
        }
        if (la is not null && !InUse(la)) la.Dispose();
        if (ua is not null && !ReferenceEquals(ua, la) && !InUse(ua)) ua.Dispose();
    }

    /// <summary>
    /// Lowest (<paramref name="sign"/> = −1) or highest (+1) value of <c>A·x</c> over the box <paramref name="box"/>:
    /// <c>A·centre ± |A|·radius</c>, <c>[B, S]</c>.
    /// </summary>
    public static Tensor Concretise(Tensor a, Interval box, int sign)
    {
        long batch = a.shape[0], rows = a.shape[1];
        var flat = a.reshape(batch, rows, -1);
        var center = box.Center().reshape(batch, -1, 1);   // [B, n, 1]
        var radius = box.Radius().reshape(batch, -1, 1);
        var mid = matmul(flat, center);
        var dev = matmul(flat.abs(), radius);
        return (sign < 0 ? mid - dev : mid + dev).squeeze(-1);
    }
}
