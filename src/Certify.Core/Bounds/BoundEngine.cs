using Certify.Bounds.Rules;
using Certify.Graph;
using Certify.Operators;
using Certify.Spec;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// Bound propagation over a <see cref="ComputationGraph"/>: IBP, CROWN and alpha-CROWN for a batch of B sub-problems
/// (input boxes, optionally with neuron split decisions on branchable nodes), batch first everywhere.
/// <para>
/// One sweep in topological order gives every node interval bounds from its inputs' bounds. With CROWN, each node that
/// feeds a nonlinear node is then tightened by a backward CROWN pass from that node (only over the neurons the consumer
/// needs, e.g. unstable ReLU inputs), so later relaxations use CROWN bounds too. The specification rows C·y are finally
/// bounded by one backward pass starting from C (C folded into the last layer); alpha-CROWN optimises the ReLU lower
/// slopes of that pass with Adam, keeping the best bound per row.
/// </para>
/// <para>
/// On small networks (ACAS Xu: 6 layers of 50) a call's time is the number of tensor operations it issues, not their
/// arithmetic, so the intermediate passes issue as few as the bounds allow: each elementwise relaxation is built once
/// per call (<see cref="RelaxationCache"/>) and both sides of a refinement come from one mirrored pass
/// (<see cref="CrownPropagator.Backward"/>, <see cref="BoundRule.MirroredPasses"/>).
/// </para>
/// The engine is stateless between calls and autograd friendly (IBP and CROWN only; alpha-CROWN detaches).
/// </summary>
public sealed class BoundEngine
{
    readonly BoundRule[] _rules;
    readonly CrownPropagator _crown;
    readonly Lazy<CrownPropagator> _detachedCrown;
    readonly bool[] _needsRefinement;       // node feeds a nonlinear node whose relaxation depends on its bounds
    readonly bool[] _refineAll;             // every neuron of the node is refined (it feeds an activation whose own bounds are needed)
    readonly List<int>[] _branchedAt;       // branchable node ids reading node i (where their split decisions clip node i's bounds)
    readonly long _maxNodeSize;
    readonly bool[] _intervalExact;         // interval bounds of the node are exact (one affine layer over the box): CROWN cannot tighten them
    readonly bool _mirroredPasses;          // every rule's upper pass is its lower pass mirrored: both sides in one pass (BothSides)
    readonly int[]?[] _patchChains;         // refinement passes from node i run in patch form along this chain (ConvPatches), or null: dense

    /// <summary>Prepares bounding of <paramref name="graph"/>; its parameters are converted to the options' dtype and device.</summary>
    /// <exception cref="NotSupportedException">when a node's op has no bound rule (the message names the node).</exception>
    public BoundEngine(ComputationGraph graph, BoundOptions? options = null)
    {
        Options = options ?? new BoundOptions();
        Graph = NeedsConversion(graph, Options) ? graph.To(Options.DType, Options.Device) : graph;
        _rules = Graph.Nodes.Select(BoundRuleRegistry.For).ToArray();
        _crown = new CrownPropagator(Graph, _rules);
        // alpha-CROWN differentiates only with respect to its slopes; parameters that require grad are detached there.
        _detachedCrown = new Lazy<CrownPropagator>(() => Graph.Nodes.SelectMany(n => n.Op.Parameters).Any(p => p.requires_grad)
            ? new CrownPropagator(Graph.MapParameters(p => p.detach()), _rules) : _crown);
        _needsRefinement = new bool[Graph.Nodes.Count];
        _branchedAt = Graph.Nodes.Select(_ => new List<int>()).ToArray();
        _refineAll = new bool[Graph.Nodes.Count];
        foreach (var n in Graph.Nodes)
        {
            if (_rules[n.Id].NeedsInputBounds) foreach (var k in n.Inputs) if (k != 0) _needsRefinement[k] = true;
            if (_rules[n.Id] is IBranchableRule br && br.IsBranchable(n)) _branchedAt[n.Inputs[0]].Add(n.Id);
        }
        // A monotone activation's interval is the exact image of its input's: refining it costs a CROWN pass per neuron and
        // gains nothing once all of its input is refined (e.g. a ReLU before a MaxPool: 23k rows for no tightening).
        foreach (var n in Graph.Nodes)
        {
            if (!_needsRefinement[n.Id] || !_rules[n.Id].ExactImageOfInput) continue;
            _needsRefinement[n.Id] = false;
            if (n.Inputs[0] != 0) _refineAll[n.Inputs[0]] = _needsRefinement[n.Inputs[0]] = true;
        }
        _maxNodeSize = Graph.Nodes.Max(n => n.Size);
        _intervalExact = IntervalExactNodes(Graph);
        _mirroredPasses = Graph.Nodes.Skip(1).All(n => _rules[n.Id].MirroredPasses);
        IbpFallbackNodes = Graph.Nodes.Where(n => !_rules[n.Id].HasCrownRule(n)).Select(n => $"{n.Name} ({n.Op.Kind})").ToList();
        // A patch wider than its layer (padding on a small image) would cost more than the dense row: such nodes stay dense.
        _patchChains = Graph.Nodes.Select(n => Options.ConvPatches && _needsRefinement[n.Id] ? ConvPatches.Chain(Graph, _rules, n.Id) : null)
            .Select(c => c is not null && ConvPatches.RowElements(Graph, _rules, c) is var (patch, dense) && patch <= dense ? c : null).ToArray();
    }

    /// <summary>
    /// Nodes whose intermediate-bound refinement runs in patch form (<see cref="ConvPatches"/>) with the number of entries
    /// of one row's input coefficients in patch and in dense form: the work saved, for tests and logs.
    /// </summary>
    public IReadOnlyDictionary<int, (long Patch, long Dense)> PatchRefinements =>
        Enumerable.Range(0, _patchChains.Length).Where(i => _patchChains[i] is not null)
            .ToDictionary(i => i, i => ConvPatches.RowElements(Graph, _rules, _patchChains[i]!));

    /// <summary>The graph being bounded (in the options' dtype and device).</summary>
    public ComputationGraph Graph { get; }

    /// <summary>The settings.</summary>
    public BoundOptions Options { get; }

    /// <summary>Nodes without a CROWN rule, bounded by their intervals inside CROWN passes ("name (Op)").</summary>
    public IReadOnlyList<string> IbpFallbackNodes { get; }

    /// <summary>
    /// Bounds for a batch of input boxes. <paramref name="lower"/>, <paramref name="upper"/>: <c>[B, *inputShape]</c> or
    /// <c>[B, n]</c>. <paramref name="c"/>: specification matrix <c>[B, S, outputSize]</c> (or <c>[S, outputSize]</c> shared by
    /// the batch); null bounds the flattened outputs themselves. Returns bounds of <c>C·y</c> (<c>[B, S]</c>) and of every node.
    /// </summary>
    public BoundResult Compute(Tensor lower, Tensor upper, Tensor? c = null, SubproblemInputs? sub = null)
    {
        using var scope = NewDisposeScope();
        // Every pass of this call shares the relaxations of the nodes it crosses (see RelaxationCache: CROWN's
        // back-substitution crosses layer j once per later layer).
        using var relaxations = new RelaxationCache();
        sub ??= new SubproblemInputs();
        long batch = lower.shape[0];
        var box = InputBox(lower, upper);
        var bounds = IntermediateBounds(box, sub, relaxations);
        var spec = SpecMatrix(c, batch);                                     // [B, S, *outShape]
        Tensor rowsL, rowsU;
        AlphaState? alphas = null;
        int rowPasses = 1;
        // Past the deadline (the intermediate bounds above are then mostly interval bounds already), the rows get IBP's
        // bound instead of a CROWN pass: a sound bound at once. One CROWN pass with ml4acopf's 276 rows took 4 s, and the
        // caller is out of time anyway.
        var method = Options.Method != BoundMethod.Ibp && sub.OptimiseUntil.IsPast ? BoundMethod.Ibp : Options.Method;
        var capture = sub.CoefficientNodes is { Count: > 0 } && method != BoundMethod.Ibp
            ? sub.CoefficientNodes.ToDictionary(k => k, _ => (Tensor?)null) : null;
        switch (method)
        {
            case BoundMethod.Ibp:
            {
                // C folded into the trailing affine layers, then concretised over the interval bounds where they start.
                var (l, u) = _crown.Backward(Graph.OutputId, spec, sub.NeedUpper ? spec : null, bounds, stopAt: i => !Graph.Nodes[i].Op.IsAffine);
                rowsL = l!; rowsU = u ?? full_like(l!, double.PositiveInfinity);
                break;
            }
            case BoundMethod.Crown:
            {
                // Two passes, not one mirrored pass (BothSides): the rows then come from the same sequence of operations as
                // alpha-CROWN's first iteration and branch and bound's lower passes, so that alpha-CROWN is never looser
                // than CROWN even by a rounding (the intermediate refinements, shared by both, are mirrored).
                var (l, u) = _crown.Backward(Graph.OutputId, spec, sub.NeedUpper ? spec : null, bounds, captureLower: capture, relaxations: relaxations);
                rowsL = l!; rowsU = u ?? full_like(l!, double.PositiveInfinity);
                break;
            }
            default:
                (rowsL, rowsU, alphas, rowPasses) = OptimiseAlpha(spec, bounds, sub, relaxations);
                if (capture is not null)
                    using (no_grad())
                        _detachedCrown.Value.Backward(Graph.OutputId, spec.detach(), null, bounds.Select(b => b?.Detach()).ToArray(), alphas, captureLower: capture);
                break;
        }
        var fallbacks = method == BoundMethod.Ibp ? (IReadOnlyList<string>)Array.Empty<string>() : IbpFallbackNodes;
        rowsL.MoveToOuterDisposeScope();
        rowsU.MoveToOuterDisposeScope();
        var kept = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var nodes = new Interval?[bounds.Length];
        for (int i = 0; i < bounds.Length; i++)
        {
            if (bounds[i] is not { } iv) continue;
            // Each node owns its handles so that disposing the result never frees a caller's tensor twice.
            var lo = kept.Add(iv.Lower) ? iv.Lower : iv.Lower.alias();
            var hi = kept.Add(iv.Upper) ? iv.Upper : iv.Upper.alias();
            nodes[i] = new Interval(lo, hi).MoveToOuter();
        }
        if (alphas is not null)
            foreach (var t in alphas.Tensors) t.MoveToOuterDisposeScope();
        Dictionary<int, Tensor>? coefficients = null;
        if (capture is not null)
        {
            coefficients = new Dictionary<int, Tensor>();
            foreach (var (id, t) in capture)
            {
                if (t is null) continue;
                var own = t.detach();
                own.MoveToOuterDisposeScope();
                coefficients[id] = own;
            }
        }
        return new BoundResult(method, rowsL, rowsU, nodes, fallbacks, alphas, coefficients) { RowPasses = rowPasses };
    }

    /// <summary>
    /// Bounds of the rows of one region of a specification: C is built from the region's output condition (rows in file
    /// order, disjunct by disjunct) and the box from its input bounds (batch of 1).
    /// </summary>
    public BoundResult Compute(InputRegion region, SubproblemInputs? sub = null)
    {
        var (c, _) = SpecificationMatrix.FromRegion(region, (int)Graph.OutputSize);
        using var spec = c;
        using var lo = tensor(region.Lower, dtype: ScalarType.Float64).unsqueeze(0);
        using var hi = tensor(region.Upper, dtype: ScalarType.Float64).unsqueeze(0);
        return Compute(lo, hi, spec, sub);
    }

    /// <summary>
    /// Cheap lower bounds of the rows <c>C·y</c> (<c>[S, m]</c>) over a batch of boxes (<c>[B, n]</c>) from forward-mode
    /// linear bounds alone (symbolic intervals, each node's box being the intersection of its interval and forward
    /// bounds; no CROWN pass): sound, looser than <see cref="Compute(Tensor, Tensor, Tensor?, SubproblemInputs?)"/>, and
    /// far cheaper for a low-dimensional input. Returns <c>[B, S]</c>, or null when some node has no forward rule.
    /// Branching look-ahead uses it to compare candidate splits.
    /// </summary>
    public Tensor? ForwardLowerBounds(Tensor lower, Tensor upper, Tensor c)
    {
        using var scope = NewDisposeScope();
        long batch = lower.shape[0];
        var box = InputBox(lower, upper);
        var bounds = new Interval?[Graph.Nodes.Count];
        var forward = new LinearBounds?[Graph.Nodes.Count];
        bounds[0] = box;
        forward[0] = LinearBounds.Identity(batch, Graph.InputShape, box.Lower.dtype, box.Lower.device);
        for (int i = 1; i < Graph.Nodes.Count; i++)
        {
            var node = Graph.Nodes[i];
            var inputs = node.Inputs.Select(k => bounds[k]!.Value).ToArray();
            if (!node.Inputs.All(k => forward[k] is not null)) return null;
            forward[i] = _rules[i].Forward(node, node.Inputs.Select(k => forward[k]!.Value).ToArray(), inputs);
            if (forward[i] is not { } f) return null;
            var iv = _rules[i].Ibp(node, inputs);
            // Concretising cannot beat the interval of an exact node or the exact image of a monotone activation.
            bounds[i] = _intervalExact[i] || _rules[i].ExactImageOfInput ? iv : iv.Intersect(f.Concretise(box));
        }
        // Lower bound of c·y: the lower linear bound where c ≥ 0, the upper one where c < 0, then concretised.
        var y = forward[Graph.OutputId]!.Value;
        long d = Graph.InputSize, m = Graph.OutputSize;
        var spec = SpecMatrix(c, batch).reshape(batch, -1, m);                                      // [B, S, m]
        var cPos = spec.clamp_min(0); var cNeg = spec.clamp_max(0);
        var w = matmul(cPos, y.LowerW.reshape(batch, m, d)) + matmul(cNeg, y.UpperW.reshape(batch, m, d));          // [B, S, d]
        var b = (matmul(cPos, y.LowerB.reshape(batch, m, 1)) + matmul(cNeg, y.UpperB.reshape(batch, m, 1))).squeeze(2); // [B, S]
        return (CrownPropagator.Concretise(w, box, -1) + b).MoveToOuterDisposeScope();
    }

    /// <summary>The input box of a batch, <c>[B, *inputShape]</c> in the engine's dtype and device.</summary>
    Interval InputBox(Tensor lower, Tensor upper)
    {
        var inShape = ComputationGraph.ShapeWithBatch(lower.shape[0], Graph.InputShape);
        return new Interval(Prepare(lower).reshape(inShape).alias(), Prepare(upper).reshape(inShape).alias());
    }

    // ---------------------------------------------------------------- intermediate bounds

    /// <summary>Interval (and, for CROWN, refined) bounds of every node, with split clipping and known bounds applied.</summary>
    Interval?[] IntermediateBounds(Interval box, SubproblemInputs sub, RelaxationCache relaxations)
    {
        var bounds = new Interval?[Graph.Nodes.Count];
        bounds[0] = ClipBySplits(0, box, sub);
        bool crown = Options.Method != BoundMethod.Ibp;
        // Forward-mode linear bounds, for low-dimensional inputs only (their cost grows with the input size): they find
        // most neurons that interval bounds wrongly call unstable, and so spare the CROWN rows of those neurons.
        var forward = crown && Graph.InputSize <= Options.ForwardPrefilterMaxInputSize ? new LinearBounds?[Graph.Nodes.Count] : null;
        if (forward is not null) forward[0] = LinearBounds.Identity(box.Batch, Graph.InputShape, box.Lower.dtype, box.Lower.device);
        for (int i = 1; i < Graph.Nodes.Count; i++)
        {
            var node = Graph.Nodes[i];
            var inputs = node.Inputs.Select(k => bounds[k]!.Value).ToArray();
            if (forward is not null && node.Inputs.All(k => forward[k] is not null))
                forward[i] = _rules[i].Forward(node, node.Inputs.Select(k => forward[k]!.Value).ToArray(), inputs);
            if (sub.KnownBounds is not null && sub.KnownBounds.TryGetValue(i, out var known))
            {
                bounds[i] = WithinOuter(i, ClipBySplits(i, new Interval(Prepare(known.Lower).alias(), Prepare(known.Upper).alias()), sub), sub);
                continue;
            }
            var iv = WithinOuter(i, ClipBySplits(i, _rules[i].Ibp(node, inputs), sub), sub);
            if (crown && _needsRefinement[i] && !_intervalExact[i])
            {
                if (forward?[i] is { } f) iv = ClipBySplits(i, iv.Intersect(f.Concretise(bounds[0]!.Value)), sub);
                iv = WithinOuter(i, ClipBySplits(i, Refine(i, iv, bounds, sub.OptimiseUntil, relaxations), sub), sub);
            }
            bounds[i] = iv;
        }
        return bounds;
    }

    /// <summary>
    /// <paramref name="iv"/> intersected with the caller's outer bounds of node <paramref name="id"/>
    /// (<see cref="SubproblemInputs.OuterBounds"/>; broadcast over the batch), or unchanged when it has none.
    /// </summary>
    Interval WithinOuter(int id, Interval iv, SubproblemInputs sub)
    {
        if (sub.OuterBounds is null || !sub.OuterBounds.TryGetValue(id, out var outer)) return iv;
        var lo = Prepare(outer.Lower).reshape(ComputationGraph.ShapeWithBatch(outer.Lower.shape[0], Graph.Nodes[id].Shape));
        var hi = Prepare(outer.Upper).reshape(ComputationGraph.ShapeWithBatch(outer.Upper.shape[0], Graph.Nodes[id].Shape));
        return new Interval(maximum(iv.Lower, lo), minimum(iv.Upper, hi));
    }

    /// <summary>
    /// CROWN bounds for the neurons of node <paramref name="id"/> that its consumers need (union over the batch), computed
    /// in chunks of rows; the other neurons keep <paramref name="reference"/>.
    /// </summary>
    Interval Refine(int id, Interval reference, Interval?[] bounds, Deadline until, RelaxationCache relaxations)
    {
        var node = Graph.Nodes[id];
        long batch = reference.Batch, n = node.Size;
        Tensor? mask = null;
        if (_refineAll[id]) goto all;
        foreach (var consumer in Graph.Consumers(id))
        {
            var cn = Graph.Nodes[consumer];
            if (!_rules[consumer].NeedsInputBounds) continue;
            for (int j = 0; j < cn.Inputs.Count; j++)
            {
                if (cn.Inputs[j] != id) continue;
                var m = _rules[consumer].RefinementMask(cn, j, reference);
                if (m is null) { mask = null; goto all; }
                mask = mask is null ? m : mask.logical_or(m);
            }
        }
        all:
        var dtype = reference.Lower.dtype; var device = reference.Lower.device;
        var flatMask = mask?.reshape(batch, n);
        Tensor index;        // [B, k]: the neurons refined for each sub-problem
        Tensor? valid = null; // [B, k]: false where a sub-problem needs fewer than k rows (padding)
        long k = n;
        if (flatMask is not null)
        {
            k = flatMask.sum(1).max().item<long>();
            if (k == 0) return reference;
            if (batch > 1)
            {
                // Sub-problems of one batch can need very different numbers of rows (a tiny box has few unstable neurons, a
                // wide one many); padding every one to the largest count wastes most of the work then, so such batches
                // bound one (sub-problem, neuron) pair per row instead.
                var pairs = flatMask.nonzero();                                                 // [U, 2]
                if (pairs.shape[0] < Options.FlattenedRefinementFraction * batch * k) return RefineFlattened(id, reference, bounds, pairs, until, relaxations);
            }
            if (k > Options.DenseRefinementFraction * n) flatMask = null;
        }
        if (flatMask is null)
        {
            k = n;
            index = arange(n, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(batch, n);
        }
        else
        {
            // Per sub-problem, the needed neurons first (in index order), padded to the largest count in the batch.
            var order = flatMask.to_type(ScalarType.Int8).sort(1, descending: true, stable: true).Indices;
            index = order.narrow(1, 0, k);
            valid = flatMask.gather(1, index);
        }
        var refL = reference.Lower.reshape(batch, n);
        var refU = reference.Upper.reshape(batch, n);
        var selL = refL.gather(1, index); var selU = refU.gather(1, index);
        var pace = new ChunkPacer(until, Math.Max(1, Options.MaxCoefficientElements / Math.Max(1, batch * _maxNodeSize)));
        var lows = new List<Tensor>(); var highs = new List<Tensor>();
        for (long s = 0, rows; s < k; s += rows)
        {
            rows = pace.Next(k - s);
            if (rows == 0)
            {
                // Out of time: the remaining rows keep their interval bounds (sound, looser), so one huge layer cannot
                // hold a caller past its deadline.
                lows.Add(selL.narrow(1, s, k - s)); highs.Add(selU.narrow(1, s, k - s));
                break;
            }
            using var chunkScope = NewDisposeScope();   // frees this chunk's coefficient tensors before the next one
            if (_patchChains[id] is { } chain)
            {
                // Patch form: no one-hot rows and no dense [rows, C·H·W] coefficients (ConvPatches).
                var neurons = flatMask is null ? arange(s, s + rows, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(batch, rows) : index.narrow(1, s, rows);
                if (ConvPatches.BothSides(Graph, _rules, chain, neurons, bounds, relaxations) is { } patched)
                {
                    lows.Add(patched.Lower.MoveToOuterDisposeScope()); highs.Add(patched.Upper.MoveToOuterDisposeScope());
                    pace.Done(rows);
                    continue;
                }
            }
            // One-hot rows: [B, rows, n] (identity rows s.. in the dense case, shared by the batch without copies).
            Tensor a;
            if (flatMask is null)
            {
                var cols = arange(s, s + rows, dtype: ScalarType.Int64, device: device).unsqueeze(1);
                a = zeros(rows, n, dtype: dtype, device: device).scatter(1, cols, ones(rows, 1, dtype: dtype, device: device))
                    .unsqueeze(0).expand(batch, rows, n);
            }
            else
            {
                var idx = index.narrow(1, s, rows);                                               // [B, rows]
                var on = valid!.narrow(1, s, rows).to_type(dtype).unsqueeze(2);                   // [B, rows, 1]
                a = zeros(batch, rows, n, dtype: dtype, device: device).scatter(2, idx.unsqueeze(2), on);
            }
            a = a.reshape(ComputationGraph.ShapeWithBatch(batch, new[] { rows }.Concat(node.Shape).ToArray()));
            var (lo, hi) = BothSides(id, a, bounds, relaxations);
            lows.Add(lo.MoveToOuterDisposeScope()); highs.Add(hi.MoveToOuterDisposeScope());
            pace.Done(rows);
        }
        var crownL = lows.Count == 1 ? lows[0] : cat(lows.ToArray(), 1);    // [B, k]
        var crownU = highs.Count == 1 ? highs[0] : cat(highs.ToArray(), 1);
        if (Options.IntersectIntermediate) { crownL = maximum(crownL, selL); crownU = minimum(crownU, selU); }
        if (valid is not null) { crownL = where(valid, crownL, selL); crownU = where(valid, crownU, selU); }
        var l = flatMask is null ? crownL : refL.scatter(1, index, crownL);
        var u = flatMask is null ? crownU : refU.scatter(1, index, crownU);
        var shape = ComputationGraph.ShapeWithBatch(batch, node.Shape);
        return new Interval(l.reshape(shape), u.reshape(shape));
    }

    /// <summary>
    /// <see cref="Refine"/> with one row per needed (sub-problem, neuron) pair: each pair becomes its own sub-problem of
    /// one row, with the bounds of the nodes before <paramref name="id"/> gathered from its sub-problem. No padding, at the
    /// price of copying those bounds per pair (small next to the coefficients of a row).
    /// </summary>
    Interval RefineFlattened(int id, Interval reference, Interval?[] bounds, Tensor pairs, Deadline until, RelaxationCache relaxations)
    {
        var node = Graph.Nodes[id];
        long batch = reference.Batch, n = node.Size, count = pairs.shape[0];
        var dtype = reference.Lower.dtype; var device = reference.Lower.device;
        var owner = pairs.select(1, 0);                                                  // [U] sub-problem of each pair
        var neuron = pairs.select(1, 1);                                                 // [U] its neuron
        var flatIndex = owner * n + neuron;                                              // [U] into the flattened [B·n] bounds
        var refL = reference.Lower.reshape(batch * n);
        var refU = reference.Upper.reshape(batch * n);
        var pace = new ChunkPacer(until, Math.Max(1, Options.MaxCoefficientElements / Math.Max(1, _maxNodeSize)));
        var lows = new List<Tensor>(); var highs = new List<Tensor>();
        for (long s = 0, rows; s < count; s += rows)
        {
            rows = pace.Next(count - s);
            if (rows == 0)
            {
                var rest = flatIndex.narrow(0, s, count - s);   // out of time: the remaining pairs keep their interval bounds
                lows.Add(refL.gather(0, rest)); highs.Add(refU.gather(0, rest));
                break;
            }
            using var chunkScope = NewDisposeScope();
            var who = owner.narrow(0, s, rows);
            var sub = new Interval?[id + 1];
            for (int i = 0; i < id; i++) sub[i] = bounds[i]?.Select(who);
            var cols = neuron.narrow(0, s, rows).view(rows, 1, 1);
            var a = zeros(rows, 1, n, dtype: dtype, device: device).scatter(2, cols, ones(rows, 1, 1, dtype: dtype, device: device))
                .reshape(ComputationGraph.ShapeWithBatch(rows, new[] { 1L }.Concat(node.Shape).ToArray()));
            var (lo, hi) = BothSides(id, a, sub, relaxations);
            lows.Add(lo.reshape(rows).MoveToOuterDisposeScope()); highs.Add(hi.reshape(rows).MoveToOuterDisposeScope());
            pace.Done(rows);
        }
        var crownL = lows.Count == 1 ? lows[0] : cat(lows.ToArray());                   // [U]
        var crownU = highs.Count == 1 ? highs[0] : cat(highs.ToArray());
        if (Options.IntersectIntermediate) { crownL = maximum(crownL, refL.gather(0, flatIndex)); crownU = minimum(crownU, refU.gather(0, flatIndex)); }
        var shape = ComputationGraph.ShapeWithBatch(batch, node.Shape);
        return new Interval(refL.scatter(0, flatIndex, crownL).reshape(shape), refU.scatter(0, flatIndex, crownU).reshape(shape));
    }

    /// <summary>
    /// CROWN bounds of <c>a·y</c> from below and from above (<c>[B, rows]</c> each), y being node <paramref name="id"/>'s
    /// output and <paramref name="a"/> <c>[B, rows, *shape]</c>. When every rule mirrors its passes
    /// (<see cref="BoundRule.MirroredPasses"/>), one mirrored pass gives both (<see cref="CrownPropagator.Backward"/>):
    /// shared coefficients through the leading affine steps, then one lower pass over the rows <c>[A; −A]</c>, whose
    /// second half is the lower bound of <c>−a·y</c>, i.e. minus the upper bound of <c>a·y</c>, step by step the upper
    /// pass negated (negation is exact in floating point, so only the order of a matrix product's sums may differ).
    /// Half the tensor operations of two passes, the same arithmetic and coefficient memory.
    /// </summary>
    (Tensor Lower, Tensor Upper) BothSides(int id, Tensor a, IReadOnlyList<Interval?> bounds, RelaxationCache relaxations)
    {
        if (!_mirroredPasses)
        {
            var (lo, hi) = _crown.Backward(id, a, a, bounds, relaxations: relaxations);
            return (lo!, hi!);
        }
        var (l, u) = _crown.Backward(id, a, null, bounds, relaxations: relaxations, mirrored: true);
        return (l!, u!);
    }

    /// <summary>
    /// Sizes the chunks of rows of a CROWN refinement under a deadline. One chunk of a large layer is one backward pass
    /// of up to <see cref="BoundOptions.MaxCoefficientElements"/> coefficients, which took 2-3 s on cifar10_resnet on a
    /// loaded 2-core machine: checking the deadline only between such chunks overran it by that much. With a time limit
    /// the first chunk is an eighth of the full size and each next one doubles; from the measured time per row, a chunk
    /// is cut to what fits in the time left, and none starts when not even one row fits (the remaining rows keep their
    /// interval bounds: sound, looser). Without a time limit chunks are full size and only cancellation stops them.
    /// Chunking does not change the bounds of the rows computed.
    /// </summary>
    sealed class ChunkPacer(Deadline until, long full)
    {
        long _size = until.HasTimeLimit ? Math.Max(1, full / 8) : full;
        double _secondsPerRow;
        long _started;

        /// <summary>Rows of the next chunk (at most <paramref name="left"/>); 0 when out of time.</summary>
        public long Next(long left)
        {
            if (until.IsPast) return 0;
            long rows = Math.Min(_size, left);
            if (_secondsPerRow > 0 && until.HasTimeLimit)
                rows = Math.Min(rows, (long)Math.Min(long.MaxValue / 2, until.Remaining.TotalSeconds / _secondsPerRow));
            _started = System.Diagnostics.Stopwatch.GetTimestamp();
            return Math.Max(0, rows);
        }

        /// <summary>Records the chunk of <paramref name="rows"/> rows just finished.</summary>
        public void Done(long rows)
        {
            _secondsPerRow = System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds / Math.Max(1, rows);
            _size = Math.Min(full, _size * 2);
        }
    }

    /// <summary>
    /// Applies neuron split decisions to the bounds of a branchable node's input: sign +1 ⇒ l ≥ p, −1 ⇒ u ≤ p (p = 0
    /// for ReLU), then the accumulated clips of <see cref="SubproblemInputs.SplitBounds"/>.
    /// </summary>
    Interval ClipBySplits(int id, Interval iv, SubproblemInputs sub)
    {
        if (sub.Splits is null && sub.SplitBounds is null) return iv;
        foreach (var node in _branchedAt[id])
        {
            if (sub.Splits is not null && sub.Splits.TryGetValue(node, out var split))
            {
                var s = split.to(iv.Lower.device).reshape(iv.Lower.shape);
                var p = sub.SplitPoints is not null && sub.SplitPoints.TryGetValue(node, out var pt) ? Prepare(pt).reshape(iv.Lower.shape) : zeros_like(iv.Lower);
                iv = new Interval(where(s.gt(0), maximum(iv.Lower, p), iv.Lower), where(s.lt(0), minimum(iv.Upper, p), iv.Upper));
            }
            if (sub.SplitBounds is not null && sub.SplitBounds.TryGetValue(node, out var clip))
                iv = new Interval(maximum(iv.Lower, Prepare(clip.Lower).reshape(iv.Lower.shape)), minimum(iv.Upper, Prepare(clip.Upper).reshape(iv.Upper.shape)));
        }
        return iv;
    }

    // ---------------------------------------------------------------- specification rows

    /// <summary>C as <c>[B, S, *outputShape]</c>; the identity over the flattened outputs when null.</summary>
    Tensor SpecMatrix(Tensor? c, long batch)
    {
        long m = Graph.OutputSize;
        Tensor spec;
        if (c is null) spec = eye(m, dtype: Options.DType, device: Device).unsqueeze(0).expand(batch, m, m);
        else
        {
            spec = Prepare(c);
            if (spec.dim() == 2) spec = spec.unsqueeze(0).expand(batch, spec.shape[0], spec.shape[1]);
            if (spec.shape[^1] != m)
                throw new ArgumentException($"the specification matrix has {spec.shape[^1]} columns but the network has {m} outputs");
            if (spec.shape[0] == 1 && batch > 1) spec = spec.expand(batch, spec.shape[1], spec.shape[2]);
        }
        return spec.reshape(ComputationGraph.ShapeWithBatch(batch, new[] { spec.shape[1] }.Concat(Graph.OutputShape).ToArray()));
    }

    // ---------------------------------------------------------------- alpha-CROWN

    /// <summary>
    /// Alpha-CROWN (and beta-CROWN): Adam over the free choices of the relaxations of the final pass (every node whose
    /// rule is an <see cref="IOptimisableRule"/>: ReLU lower slopes, tangent points, McCormick planes, ...) for
    /// <see cref="BoundOptions.AlphaIterations"/> iterations; then, for <see cref="BoundMethod.BetaCrown"/> with splits, a
    /// joint phase over those parameters and the split multipliers for <see cref="BoundOptions.BetaIterations"/>
    /// iterations, started from the best parameters. Every evaluated bound is sound (parameters in [0, 1], multipliers
    /// ≥ 0), so the best one per sub-problem and row is kept, with its parameters. Iteration 0 evaluates CROWN's choices
    /// (or a parent's), so the result is never looser than CROWN's.
    /// </summary>
    (Tensor Lower, Tensor Upper, AlphaState Alphas, int Passes) OptimiseAlpha(Tensor spec, Interval?[] bounds, SubproblemInputs sub, RelaxationCache relaxations)
    {
        // The optimisation differentiates only with respect to the parameters and multipliers: detach everything else.
        var fixedBounds = bounds.Select(b => b?.Detach()).ToArray();
        var crown = _detachedCrown.Value;
        var c = spec.detach();
        long batch = c.shape[0], rows = c.shape[1];
        bool needUpper = sub.NeedUpper;
        var alphas = new AlphaState();
        var alphaParameters = new List<TorchSharp.Modules.Parameter>();
        long[] WithRows(IEnumerable<long> shape) => ComputationGraph.ShapeWithBatch(batch, new[] { rows }.Concat(shape).ToArray());
        foreach (var node in Graph.Nodes)
        {
            if (_rules[node.Id] is not IOptimisableRule rule || rule.ParameterShape(node) is not { } parameterShape) continue;
            var shape = WithRows(parameterShape);
            var inputs = node.Inputs.Select(k => fixedBounds[k]!.Value).ToArray();
            Tensor Init(Dictionary<int, Tensor>? given)
            {
                var crownChoice = rule.InitialParameters(node, inputs).unsqueeze(1).expand(shape);
                // Negative given entries stand for "none" (e.g. sub-problems of a batch without a parent's parameters).
                if (given is not null && given.TryGetValue(node.Id, out var g) && g.shape.SequenceEqual(shape))
                {
                    var gp = Prepare(g).detach();
                    return where(gp.ge(0), gp.clamp_max(1), crownChoice).contiguous();
                }
                return crownChoice.clone();
            }
            var pl = new TorchSharp.Modules.Parameter(Init(sub.Alphas?.LowerPass));
            alphas.LowerPass[node.Id] = pl; alphaParameters.Add(pl);
            if (needUpper)
            {
                var pu = new TorchSharp.Modules.Parameter(Init(sub.Alphas?.UpperPass));
                alphas.UpperPass[node.Id] = pu; alphaParameters.Add(pu);
            }
        }
        var best = new AlphaState();
        Tensor? bestL = null, bestU = null;
        int passes = 0;
        var stop = new EarlyStop(Options, sub.StopWhenProved, batch, rows);

        // One Adam phase: iteration 0 evaluates the current parameters; the best bound per row (and its parameters) is kept.
        void Phase(int iterations, IReadOnlyList<(List<TorchSharp.Modules.Parameter> Group, double Rate, double Max)> groups)
        {
            var all = groups.SelectMany(g => g.Group).ToList();
            var optimizers = groups.Where(g => g.Group.Count > 0).Select(g => (Opt: optim.Adam(g.Group, g.Rate), g.Group, g.Max)).ToList();
            if (all.Count == 0) iterations = 0;
            stop.Restart();
            try
            {
                var until = sub.OptimiseUntil;
                long iterationStart = 0;
                TimeSpan lastIteration = TimeSpan.Zero;
                for (int it = 0; it <= iterations; it++)
                {
                    if (it > 0) lastIteration = System.Diagnostics.Stopwatch.GetElapsedTime(iterationStart);
                    iterationStart = System.Diagnostics.Stopwatch.GetTimestamp();
                    using var iterScope = NewDisposeScope();
                    var (lo, hi) = crown.Backward(Graph.OutputId, c, needUpper ? c : null, fixedBounds, alphas, relaxations: relaxations);
                    passes++;
                    using (no_grad())
                    {
                        var loD = lo!.detach(); var hiD = hi?.detach();
                        var betterL = bestL is null ? ones_like(loD, dtype: ScalarType.Bool) : loD.gt(bestL);
                        bestL = bestL is null ? loD.clone() : where(betterL, loD, bestL);   // unlike maximum, a NaN iterate never replaces a bound
                        UpdateBest(best.LowerPass, alphas.LowerPass, betterL);
                        UpdateBest(best.BetaLowerPass, alphas.BetaLowerPass, betterL);
                        bestL.MoveToOuterDisposeScope();
                        if (hiD is not null)
                        {
                            var betterU = bestU is null ? ones_like(hiD, dtype: ScalarType.Bool) : hiD.lt(bestU);
                            bestU = bestU is null ? hiD.clone() : where(betterU, hiD, bestU);
                            UpdateBest(best.UpperPass, alphas.UpperPass, betterU);
                            UpdateBest(best.BetaUpperPass, alphas.BetaUpperPass, betterU);
                            bestU.MoveToOuterDisposeScope();
                        }
                    }
                    // Stop at the deadline, or before it when the last iteration took longer than the time left (one iteration
                    // of beta-CROWN on a large network takes seconds; the best bound so far is kept either way).
                    if (it == iterations || until.IsPast || (until.HasTimeLimit && until.Remaining < lastIteration)) break;
                    // Every row proven, or no row's best bound moved by more than the tolerance over the last window of
                    // iterations: further steps would cost a pass each for (almost) nothing (see BoundOptions.EarlyStopWindow).
                    if (stop.Done(bestL!, bestU)) break;
                    var loss = -lo!.sum();
                    if (hi is not null) loss = loss + hi.sum();
                    if (!loss.requires_grad) break; // nothing reaches the rows (e.g. cut off by an IBP fallback): nothing to optimise
                    foreach (var o in optimizers) o.Opt.zero_grad();
                    loss.backward();
                    foreach (var o in optimizers) o.Opt.step();
                    using (no_grad()) foreach (var o in optimizers) foreach (var p in o.Group) p.clamp_(0, o.Max);
                }
            }
            // Native optimizers are freed here, not by the GC's finalizer thread while libtorch runs on this one (that
            // concurrency corrupts native memory in long runs; see Verifier.Run).
            finally { foreach (var o in optimizers) o.Opt.Dispose(); }
        }

        Phase(Options.AlphaIterations, new[] { (alphaParameters, Options.AlphaLearningRate, 1.0) });

        if (Options.Method == BoundMethod.BetaCrown && sub.Splits is not null)
        {
            var betaParameters = new List<TorchSharp.Modules.Parameter>();
            // Split decisions are keyed by the branchable nodes they split (CROWN applies the multipliers after their rule).
            foreach (var node in Graph.Nodes)
            {
                if (!sub.Splits.TryGetValue(node.Id, out var split) || !_branchedAt[node.Inputs.FirstOrDefault()].Contains(node.Id)) continue;
                var sign = Prepare(split).reshape(ComputationGraph.ShapeWithBatch(batch, node.Shape)).detach();   // [B, *shape]
                if (!sign.ne(0).any().ToBoolean()) continue;
                best.SplitSigns[node.Id] = sign.clone();
                alphas.SplitSigns[node.Id] = sign;
                if (sub.SplitPoints is not null && sub.SplitPoints.TryGetValue(node.Id, out var point))
                {
                    // Where a neuron is free its point is unused; zero it so that no stray value meets a zero sign.
                    var p = where(sign.ne(0), Prepare(point).reshape(sign.shape), zeros_like(sign)).detach();
                    best.SplitPoints[node.Id] = p.clone();
                    alphas.SplitPoints[node.Id] = p;
                }
                var shape = WithRows(node.Shape);
                var mask = sign.ne(0).unsqueeze(1).to_type(sign.dtype);                                           // [B, 1, *shape]
                Tensor Init(Dictionary<int, Tensor>? given) =>
                    given is not null && given.TryGetValue(node.Id, out var g) && g.shape.SequenceEqual(shape)
                        ? (Prepare(g).detach().clamp_min(0) * mask).contiguous()   // a parent's multipliers; zero where no longer split
                        : zeros(shape, dtype: c.dtype, device: c.device);
                var bl = new TorchSharp.Modules.Parameter(Init(sub.Alphas?.BetaLowerPass));
                alphas.BetaLowerPass[node.Id] = bl; betaParameters.Add(bl);
                if (needUpper)
                {
                    var bu = new TorchSharp.Modules.Parameter(Init(sub.Alphas?.BetaUpperPass));
                    alphas.BetaUpperPass[node.Id] = bu; betaParameters.Add(bu);
                }
            }
            if (betaParameters.Count > 0)
            {
                // Restart the parameters from the best ones so that the joint phase starts where alpha-CROWN ended, per row.
                using (no_grad())
                {
                    foreach (var (id, p) in alphas.LowerPass) p.copy_(best.LowerPass[id]);
                    foreach (var (id, p) in alphas.UpperPass) p.copy_(best.UpperPass[id]);
                }
                Phase(Options.BetaIterations, new[]
                {
                    (alphaParameters, Options.AlphaLearningRate, 1.0),
                    (betaParameters, Options.BetaLearningRate, double.PositiveInfinity),
                });
            }
        }
        alphas.Dispose();
        stop.Dispose();
        bestL ??= full(batch, rows, double.NegativeInfinity, dtype: c.dtype, device: c.device);
        var upper = bestU ?? full(batch, rows, double.PositiveInfinity, dtype: c.dtype, device: c.device);
        return (bestL, upper, best, passes);
    }

    /// <summary>
    /// best[node] ← current where the row improved (tensors are <c>[B, S, *shape]</c>, improved is <c>[B, S]</c>). A node
    /// first seen keeps zeros on rows that did not improve: the best bound of those rows was reached without its parameters
    /// (a multiplier of zero contributes nothing).
    /// </summary>
    static void UpdateBest(Dictionary<int, Tensor> best, Dictionary<int, Tensor> current, Tensor improved)
    {
        foreach (var (id, alpha) in current)
        {
            var a = alpha.detach();
            var m = improved.reshape(improved.shape.Concat(Enumerable.Repeat(1L, (int)a.dim() - 2)).ToArray());
            var next = where(m, a, best.TryGetValue(id, out var old) ? old : zeros_like(a));
            next.MoveToOuterDisposeScope();
            old?.Dispose();
            best[id] = next;
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// Nodes whose interval bounds are already the exact range: each output is one affine function of the input box
    /// with no input element reaching it along two paths. "Pure" nodes are copies of input elements (scaled, shifted,
    /// moved); one mixing layer (<see cref="Op.MixesInputs"/>: Linear, Conv, ...) over a pure node is exact with the
    /// centre/radius IBP; data-movement ops (<see cref="Op.MovesData"/>, elementwise affine included) over distinct
    /// operands keep exactness. The ops declare these traits, so this names no operator.
    /// </summary>
    static bool[] IntervalExactNodes(ComputationGraph g)
    {
        var pure = new bool[g.Nodes.Count];
        var exact = new bool[g.Nodes.Count];
        pure[0] = exact[0] = true;
        foreach (var n in g.Nodes.Skip(1))
        {
            if (n.Op.MovesData && n.Inputs.Distinct().Count() == n.Inputs.Count)
            {
                pure[n.Id] = n.Inputs.All(k => pure[k]);
                exact[n.Id] = n.Inputs.All(k => exact[k]);
            }
            else if (n.Op.MixesInputs) exact[n.Id] = pure[n.Inputs[0]];
        }
        // Concat of exact parts from the same input could correlate through a later mixing op; that case is caught
        // because mixing ops require a pure (not merely exact) operand.
        return exact;
    }

    Device Device => Options.Device ?? CPU;

    Tensor Prepare(Tensor t) => t.to(Options.DType, Device);

    static bool NeedsConversion(ComputationGraph g, BoundOptions o) =>
        g.Nodes.SelectMany(n => n.Op.Parameters).Any(p => p.dtype != o.DType || (o.Device is not null && p.device.ToString() != o.Device.ToString()));
}
