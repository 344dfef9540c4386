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
    /// <paramref name="alphas"/> supplies optimisable ReLU slopes for this pass (alpha-CROWN) and split multipliers
    /// (beta-CROWN), or null.
    /// When <paramref name="captureLower"/> is given, the lower pass's coefficients of the output of every node listed in
    /// it (keys; values are overwritten) are stored there, <c>[B, S, *shape]</c> (node 0: the input's, i.e. the final A):
    /// branch and bound reads them for its split heuristics and for the minimiser of the linear bound.
    /// <paramref name="stopAt"/> names nodes where the pass stops and concretises over the node's own interval bounds
    /// instead of going further (IBP with C folded into the trailing affine layers uses this); null: only the input.
    /// <paramref name="relaxations"/>, when given, keeps the relaxations made in this pass for the next passes over the
    /// same bounds (<see cref="RelaxationCache"/>); the caller disposes it.
    /// <paramref name="mirrored"/>: bound <c>lowerA·y</c> on both sides (<paramref name="upperA"/> must be null) with one
    /// lower pass, every rule on the way having <see cref="BoundRule.MirroredPasses"/>: while the steps are
    /// <see cref="BoundRule.LinearBackward"/> both sides share their coefficients; at the first other step every
    /// coefficient <c>A</c> becomes the rows <c>[A; −A]</c>, whose lower bound is <c>[lower of A·y; −(upper of A·y)]</c>
    /// (each later step is then the upper pass negated, exactly so since negation is exact). Half the tensor operations
    /// of two passes, the same arithmetic as one shared step plus two diverged ones.
    /// </summary>
    public (Tensor? Lower, Tensor? Upper) Backward(int start, Tensor? lowerA, Tensor? upperA, IReadOnlyList<Interval?> bounds,
        AlphaState? alphas = null, Func<int, bool>? stopAt = null, IDictionary<int, Tensor?>? captureLower = null,
        RelaxationCache? relaxations = null, bool mirrored = false)
    {
        var any = lowerA ?? upperA ?? throw new ArgumentException("no coefficients given");
        if (mirrored && (upperA is not null || lowerA is null || alphas is not null || captureLower is not null))
            throw new ArgumentException("a mirrored pass takes lower coefficients only, without alpha parameters or captures");
        long batch = any.shape[0], rows = any.shape[1];
        var accL = new Tensor?[start + 1];
        var accU = new Tensor?[start + 1];
        accL[start] = lowerA;
        accU[start] = upperA;
        Tensor? biasL = null, biasU = null;
        bool stacked = false;           // mirrored pass: the rows are [A; −A] from here on
        void Stack()
        {
            for (int k = 0; k <= start; k++) if (accL[k] is { } t) accL[k] = Mirror(t);
            if (biasL is { } b) biasL = Mirror(b);
            stacked = true;
        }
        for (int i = start; i >= 1; i--)
        {
            if (accL[i] is null && accU[i] is null) continue;
            if (mirrored && !stacked && ((stopAt is not null && stopAt(i)) || !_rules[i].LinearBackward)) Stack();
            if (captureLower is not null && captureLower.ContainsKey(i)) captureLower[i] = accL[i];
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
                BetaLowerPass = alphas?.BetaLowerPass.GetValueOrDefault(i),
                BetaUpperPass = alphas?.BetaUpperPass.GetValueOrDefault(i),
                SplitSign = alphas?.SplitSigns.GetValueOrDefault(i),
                SplitPoint = alphas?.SplitPoints.GetValueOrDefault(i),
                Relaxations = relaxations,
            };
            if (!_rules[i].HasCrownRule(node) && bounds[i] is null)
                throw new InvalidOperationException($"node '{node.Name}' ({node.Op.Kind}) needs its interval bounds for the IBP fallback");
            // Each step's temporaries die with its scope, and consumed coefficients are released at once: without this a
            // pass over a large batch keeps every layer's coefficient tensors alive until the caller's scope ends.
            BackwardResult r;
            using (var stepScope = NewDisposeScope())
            {
                r = Relax.AddSplitMultipliers(step, _rules[i].Backward(step));
                foreach (var t in r.LowerA.Concat(r.UpperA)) t?.MoveToOuterDisposeScope();
                r.LowerBias?.MoveToOuterDisposeScope();
                r.UpperBias?.MoveToOuterDisposeScope();
            }
            // A tensor may sit in several slots (an Add passes the same coefficients to both inputs): free only orphans.
            bool Held(Tensor t) => ReferenceEquals(t, lowerA) || ReferenceEquals(t, upperA)
                || (captureLower is not null && captureLower.Values.Any(c => ReferenceEquals(c, t)))
                || r.LowerA.Concat(r.UpperA).Any(c => ReferenceEquals(c, t))
                || accL.Any(c => ReferenceEquals(c, t)) || accU.Any(c => ReferenceEquals(c, t));
            void Release(Tensor? t) { if (t is not null && !Held(t)) t.Dispose(); }
            var (oldL, oldU) = (accL[i], accU[i]);
            accL[i] = null; accU[i] = null;
            Release(oldL); Release(oldU);
            for (int k = 0; k < node.Inputs.Count; k++)
            {
                int src = node.Inputs[k];
                if (r.LowerA[k] is { } la) { var prev = accL[src]; accL[src] = prev is null ? la : prev + la; if (prev is not null) Release(prev); }
                if (r.UpperA[k] is { } ua) { var prev = accU[src]; accU[src] = prev is null ? ua : prev + ua; if (prev is not null) Release(prev); }
            }
            foreach (var t in r.LowerA.Concat(r.UpperA))
                if (t is not null && !accL.Concat(accU).Any(c => ReferenceEquals(c, t)) && !ReferenceEquals(t, lowerA) && !ReferenceEquals(t, upperA)
                    && (captureLower is null || !captureLower.Values.Any(c => ReferenceEquals(c, t))))
                    t.Dispose(); // summed into an accumulator: no slot holds it any more
            if (r.LowerBias is { } lb) biasL = biasL is null ? lb : biasL + lb;
            if (r.UpperBias is { } ub) biasU = biasU is null ? ub : biasU + ub;
        }
        if (captureLower is not null && captureLower.ContainsKey(0)) captureLower[0] = accL[0];
        var box = bounds[0] ?? throw new InvalidOperationException("the input box is missing");
        if (mirrored)
        {
            var shared = biasL ?? zeros(batch, stacked ? 2 * rows : rows, dtype: any.dtype, device: any.device);
            if (!stacked)
                return accL[0] is { } a0 ? (shared + Concretise(a0, box, -1), shared + Concretise(a0, box, +1)) : (shared, shared);
            var both = accL[0] is { } a1 ? shared + Concretise(a1, box, -1) : shared;
            return (both.narrow(1, 0, rows), -both.narrow(1, rows, rows));
        }
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
    /// <c>[t; −t]</c> along the rows (axis 1). A tensor shared by the batch through a stride-0 expansion (identity rows
    /// of a refinement) stays expanded.
    /// </summary>
    static Tensor Mirror(Tensor t)
    {
        bool shared = t.shape[0] > 1 && t.stride(0) == 0;
        var one = shared ? t.narrow(0, 0, 1) : t;
        var both = cat(new[] { one, -one }, 1);
        return shared ? both.expand(new[] { t.shape[0] }.Concat(both.shape.Skip(1)).ToArray()) : both;
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
