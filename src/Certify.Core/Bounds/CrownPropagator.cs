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
    public (Tensor? Lower, Tensor? Upper) Backward(int start, Tensor? lowerA, Tensor? upperA, IReadOnlyList<Interval?> bounds, AlphaState? alphas = null)
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
            accL[i] = null; accU[i] = null;
            for (int k = 0; k < node.Inputs.Count; k++)
            {
                int src = node.Inputs[k];
                if (r.LowerA[k] is { } la) accL[src] = accL[src] is null ? la : accL[src]! + la;
                if (r.UpperA[k] is { } ua) accU[src] = accU[src] is null ? ua : accU[src]! + ua;
            }
            if (r.LowerBias is { } lb) biasL = biasL is null ? lb : biasL + lb;
            if (r.UpperBias is { } ub) biasU = biasU is null ? ub : biasU + ub;
        }
        var box = bounds[0] ?? throw new InvalidOperationException("the input box is missing");
        var center = box.Center().reshape(batch, -1, 1);   // [B, n, 1]
        var radius = box.Radius().reshape(batch, -1, 1);
        Tensor? lower = null, upper = null;
        if (lowerA is not null)
        {
            lower = biasL ?? zeros(batch, rows, dtype: any.dtype, device: any.device);
            if (accL[0] is { } a)
            {
                var flat = a.reshape(batch, rows, -1);
                lower = lower + (matmul(flat, center) - matmul(flat.abs(), radius)).squeeze(-1);
            }
        }
        if (upperA is not null)
        {
            upper = biasU ?? zeros(batch, rows, dtype: any.dtype, device: any.device);
            if (accU[0] is { } a)
            {
                var flat = a.reshape(batch, rows, -1);
                upper = upper + (matmul(flat, center) + matmul(flat.abs(), radius)).squeeze(-1);
            }
        }
        return (lower, upper);
    }
}
