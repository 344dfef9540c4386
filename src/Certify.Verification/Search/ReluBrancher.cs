using TorchSharp;
using Certify.Bounds;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Verification.Search;

/// <summary>
/// ReLU splitting. A sub-problem also carries "split" <c>[B, R]</c> (int8 over all R ReLU neurons, in node order:
/// −1 inactive, 0 free, +1 active), passed to the engine, which clips the split neurons' input bounds (making their
/// relaxation exact) and, with beta-CROWN (the default for ReLU splitting), optimises a Lagrange multiplier per split
/// constraint in the final bound, so that the constraints also cut the input region. Once every ReLU is fixed the bound
/// can still be loose (clipping alone, or multipliers not fully optimised); such sub-problems fall back to input
/// bisection, which makes the search complete in the limit.
/// With bound reuse, a sub-problem also carries its pre-activation bounds "pl"/"pu" <c>[B, R]</c> and "cut" <c>[B]</c>
/// (the node id of the input of its newest split's layer): the parent's bounds of nodes up to the cut hold for the child
/// and are passed as known bounds instead of being recomputed (the batch uses the smallest cut of its members).
/// </summary>
sealed class ReluBrancher : Brancher
{
    sealed record Layer(int Relu, int Pre, long Offset, long Size, long[] Shape);

    readonly Layer[] _layers;
    readonly long _neurons;
    readonly bool _reuse;
    readonly int[] _coefficientNodes;
    readonly Tensor _preOfNeuron;          // [R] long: the pre-activation node id of each neuron's layer
    readonly BabOptions _options;
    bool _inherit;                         // sub-problems carry "alpha"/"beta" [B, S·R]: the parent's best slopes and multipliers
    long _rows;
    Tensor? _c;                            // the rows of the search engine's last batch (for filtered smart branching)
    readonly Lazy<BoundEngine> _fsbEngine; // CROWN over fixed intermediate bounds: cheap estimates of candidate splits

    public ReluBrancher(BoundEngine engine, BabOptions options) : base(engine)
    {
        var layers = new List<Layer>();
        long offset = 0;
        foreach (var node in engine.Graph.Nodes.Where(n => n.Op.IsSplittable))
        {
            layers.Add(new Layer(node.Id, node.Inputs[0], offset, node.Size, node.Shape));
            offset += node.Size;
        }
        _layers = layers.ToArray();
        _neurons = offset;
        _reuse = options.ReuseIntermediateBounds && _neurons <= options.MaxReusedNeurons;
        _coefficientNodes = new[] { 0 }.Concat(_layers.Select(l => l.Relu)).ToArray();
        var pre = new long[_neurons];
        foreach (var l in _layers) Array.Fill(pre, l.Pre, (int)l.Offset, (int)l.Size);
        _preOfNeuron = tensor(pre);   // in the caller's scope (Verifier.Run): never left to the finalizer thread
        _options = options;
        _fsbEngine = new Lazy<BoundEngine>(() => new BoundEngine(engine.Graph, engine.Options with { Method = BoundMethod.Crown }));
    }

    public override SplitStrategy Strategy => SplitStrategy.ReluSplit;

    public override DomainBatch Root(Tensor lo, Tensor hi, int rows)
    {
        var b = base.Root(lo, hi, rows);
        b["split"] = zeros(1, _neurons, dtype: ScalarType.Int8);
        _rows = rows;
        _inherit = _options.InheritOptimisedParameters && Engine.Options.Method is BoundMethod.AlphaCrown or BoundMethod.BetaCrown
            && rows * _neurons <= _options.MaxInheritedParameters;
        if (_inherit)
        {
            b["alpha"] = full(1, rows * _neurons, -1f, dtype: ScalarType.Float32);   // negative: none yet (CROWN's slopes)
            b["beta"] = zeros(1, rows * _neurons, dtype: ScalarType.Float32);
        }
        if (_reuse)
        {
            b["pl"] = zeros(1, _neurons, dtype: lo.dtype);
            b["pu"] = zeros(1, _neurons, dtype: lo.dtype);
            b["cut"] = full(1, -1L, dtype: ScalarType.Int64);
        }
        return b;
    }

    public override BoundResult Bound(BoundEngine engine, DomainBatch batch, Tensor c, bool reuseCarried)
    {
        long count = batch.Count;
        var split = batch["split"];
        var splits = new Dictionary<int, Tensor>();
        foreach (var l in _layers)
            splits[l.Relu] = split.narrow(1, l.Offset, l.Size).reshape(ComputationGraph.ShapeWithBatch(count, l.Shape));
        Dictionary<int, Interval>? known = null;
        if (reuseCarried && _reuse)
        {
            long cut = batch["cut"].min().ToInt64();
            known = new Dictionary<int, Interval>();
            foreach (var l in _layers.Where(l => l.Pre <= cut && l.Pre > 0))
            {
                var shape = ComputationGraph.ShapeWithBatch(count, engine.Graph.Nodes[l.Pre].Shape);
                known[l.Pre] = new Interval(batch["pl"].narrow(1, l.Offset, l.Size).reshape(shape), batch["pu"].narrow(1, l.Offset, l.Size).reshape(shape));
            }
        }
        if (ReferenceEquals(engine, Engine)) _c = c;
        AlphaState? given = null;
        if (_inherit && batch.Has("alpha"))
        {
            // Any slopes in [0, 1] and multipliers ≥ 0 are sound, so the parent's are a safe start (the float64 re-check too).
            given = new AlphaState();
            var alpha = batch["alpha"].view(count, _rows, _neurons);
            var beta = batch["beta"].view(count, _rows, _neurons);
            foreach (var l in _layers)
            {
                var shape = ComputationGraph.ShapeWithBatch(count, new[] { _rows }.Concat(l.Shape).ToArray());
                given.LowerPass[l.Relu] = alpha.narrow(2, l.Offset, l.Size).reshape(shape);
                given.BetaLowerPass[l.Relu] = beta.narrow(2, l.Offset, l.Size).reshape(shape);
            }
        }
        return engine.Compute(batch["lo"], batch["hi"], c, new SubproblemInputs
        {
            Splits = splits, KnownBounds = known, NeedUpper = false, CoefficientNodes = _coefficientNodes,
            Alphas = given, OptimiseUntil = OptimiseUntil,
        });
    }

    /// <summary>
    /// A sub-problem is empty when a split neuron's clipped bounds cross (forced active but its sound upper bound is
    /// below 0, or the reverse): no input of the box satisfies its splits. The crossing must exceed a relative margin so
    /// that float32 rounding cannot fake it.
    /// </summary>
    public override Tensor? Empty(BoundResult bounds)
    {
        Tensor? empty = null;
        foreach (var pre in _layers.Select(l => l.Pre).Distinct())
        {
            if (bounds.Node(pre) is not { } iv) continue;
            var l = iv.Lower.flatten(1); var u = iv.Upper.flatten(1);
            // Finite bounds only: a NaN or infinite bound proves no emptiness (NaN fails the comparison; inf − x is not a crossing).
            var crossed = (l - u).gt(1e-5 * (1 + l.abs() + u.abs())).logical_and(l.isfinite()).logical_and(u.isfinite()).any(1);
            empty = empty is null ? crossed : empty.logical_or(crossed);
        }
        return empty;
    }

    public override DomainBatch Branch(DomainBatch open, BoundResult bounds, Tensor openIndex, Tensor targetRow)
    {
        long b = openIndex.shape[0];
        var preL = cat(_layers.Select(l => bounds.Node(l.Pre)!.Value.Lower.reshape(bounds.Lower.shape[0], -1)).ToArray(), 1).index_select(0, openIndex);
        var preU = cat(_layers.Select(l => bounds.Node(l.Pre)!.Value.Upper.reshape(bounds.Lower.shape[0], -1)).ToArray(), 1).index_select(0, openIndex);
        var score = Scores(preL.to_type(ScalarType.Float32), preU.to_type(ScalarType.Float32), Coefficients(bounds, openIndex, targetRow)); // [b, R]
        var (best, neuron) = _options.BranchingCandidates > 1 && _c is not null
            ? Filtered(open, preL, preU, score, targetRow)
            : score.max(1, keepdim: true);                                                                                   // [b, 1]
        var has = best.squeeze(1).isfinite();
        var withNeuron = has.nonzero().squeeze(1);
        var without = has.logical_not().nonzero().squeeze(1);
        var parts = new List<DomainBatch>();
        if (withNeuron.shape[0] > 0)
        {
            using var sub = open.Select(withNeuron);
            var idx = neuron.index_select(0, withNeuron);                                                                    // [h, 1]
            long h = idx.shape[0];
            var children = new DomainBatch();
            var split = sub["split"];
            children["split"] = cat(new[]
            {
                split.scatter(1, idx, ones(h, 1, dtype: ScalarType.Int8)),
                split.scatter(1, idx, full(h, 1, -1, dtype: ScalarType.Int8)),
            });
            if (_reuse)
            {
                var pl = preL.index_select(0, withNeuron); var pu = preU.index_select(0, withNeuron);
                children["pl"] = cat(new[] { pl, pl });
                children["pu"] = cat(new[] { pu, pu });
                var cut = _preOfNeuron.index_select(0, idx.squeeze(1));
                children["cut"] = cat(new[] { cut, cut });
            }
            if (_inherit && bounds.Alphas is { } optimised)
            {
                var alpha = Carried(optimised.LowerPass, bounds.Lower.shape[0], -1f).index_select(0, openIndex).index_select(0, withNeuron);
                var beta = Carried(optimised.BetaLowerPass, bounds.Lower.shape[0], 0f).index_select(0, openIndex).index_select(0, withNeuron);
                children["alpha"] = cat(new[] { alpha, alpha });
                children["beta"] = cat(new[] { beta, beta });
            }
            foreach (var (name, t) in sub.Fields)
            {
                if (children.Has(name)) continue;
                children[name] = name == "depth" ? cat(new[] { t + 1, t + 1 }) : cat(new[] { t, t });
            }
            parts.Add(children);
        }
        if (without.shape[0] > 0)
        {
            // Every ReLU is fixed or stable yet the bound is not a proof: bisect the input box instead.
            using var sub = open.Select(without);
            var coefficients = TargetCoefficients(bounds, openIndex.index_select(0, without), targetRow.index_select(0, without), sub["lo"].shape[1]);
            var children = BisectAlong(sub, CoefficientDimension(sub["lo"], sub["hi"], coefficients, _options.InputSplitCoefficientFloor));
            if (_reuse) children["cut"] = full_like(children["cut"], -1L);
            parts.Add(children);
        }
        if (parts.Count == 1) return parts[0];
        var all = new DomainBatch();
        foreach (var name in parts[0].Fields.Keys) all[name] = cat(parts.Select(p => p[name]).ToArray());
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>
    /// Filtered smart branching (FSB, De Palma et al. 2021): the <see cref="BabOptions.BranchingCandidates"/> best neurons by
    /// <see cref="Scores"/> are each split both ways, every child bounded by one cheap CROWN pass that keeps the parent's
    /// pre-activation bounds (clipped by the new split); the candidate whose worse child has the highest target-row bound
    /// wins. Returns (score of the winner, −inf where no neuron is unstable; its index), each <c>[b, 1]</c>.
    /// </summary>
    (Tensor Best, Tensor Neuron) Filtered(DomainBatch open, Tensor preL, Tensor preU, Tensor score, Tensor targetRow)
    {
        long b = score.shape[0];
        int k = (int)Math.Min(_options.BranchingCandidates, _neurons);
        var (topScore, topIdx) = score.topk(k, dim: 1);                                                  // [b, k]
        using var noGrad = no_grad();
        var rep = arange(b, dtype: ScalarType.Int64).repeat_interleave(2L * k);                          // [b·2k]: domain of each trial child
        var neuron = topIdx.repeat_interleave(2, dim: 1).reshape(-1, 1);                                 // [b·2k, 1]
        var sign = tensor(new sbyte[] { 1, -1 }).repeat(b * k).unsqueeze(1);                            // active, inactive, ...
        var split = open["split"].index_select(0, rep).scatter(1, neuron, sign);
        long n = rep.shape[0];
        var splits = new Dictionary<int, Tensor>();
        var known = new Dictionary<int, Interval>();
        var engine = _fsbEngine.Value;
        foreach (var l in _layers)
        {
            splits[l.Relu] = split.narrow(1, l.Offset, l.Size).reshape(ComputationGraph.ShapeWithBatch(n, l.Shape));
            var shape = ComputationGraph.ShapeWithBatch(n, engine.Graph.Nodes[l.Pre].Shape);
            known[l.Pre] = new Interval(preL.narrow(1, l.Offset, l.Size).index_select(0, rep).reshape(shape),
                preU.narrow(1, l.Offset, l.Size).index_select(0, rep).reshape(shape));
        }
        using var r = engine.Compute(open["lo"].index_select(0, rep), open["hi"].index_select(0, rep), _c!,
            new SubproblemInputs { Splits = splits, KnownBounds = known, NeedUpper = false, OptimiseUntil = OptimiseUntil });
        var row = targetRow.index_select(0, rep).unsqueeze(1);                                           // [b·2k, 1]
        var child = r.Lower.gather(1, row).to_type(ScalarType.Float32).view(b, k, 2);
        var worse = child.amin(new long[] { 2 });                                                        // [b, k]
        worse = where(topScore.isfinite(), worse.nan_to_num(float.NegativeInfinity), full_like(worse, float.NegativeInfinity));
        var pick = worse.argmax(1, keepdim: true);                                                       // [b, 1]
        return (topScore.gather(1, pick), topIdx.gather(1, pick));
    }

    /// <summary>Per-ReLU tensors <c>[B, S, *shape]</c> as one <c>[B, S·R]</c> float32 field (<paramref name="missing"/> where a layer has none).</summary>
    Tensor Carried(Dictionary<int, Tensor> perRelu, long batch, float missing) =>
        cat(_layers.Select(l => perRelu.TryGetValue(l.Relu, out var t)
            ? t.reshape(batch, _rows, l.Size).to_type(ScalarType.Float32)
            : full(batch, _rows, l.Size, missing, dtype: ScalarType.Float32)).ToArray(), 2).reshape(batch, _rows * _neurons);

    /// <summary>Lower-pass coefficients of every ReLU output for each open sub-problem's target row, <c>[b, R]</c> (zero where the pass never reached a layer).</summary>
    Tensor Coefficients(BoundResult bounds, Tensor openIndex, Tensor targetRow)
    {
        long b = openIndex.shape[0];
        var parts = _layers.Select(l =>
        {
            var a = bounds.LowerCoefficients?.GetValueOrDefault(l.Relu);
            if (a is null) return zeros(b, l.Size);
            a = a.reshape(a.shape[0], a.shape[1], -1).index_select(0, openIndex);                                 // [b, S, size]
            return a.gather(1, targetRow.view(b, 1, 1).expand(b, 1, l.Size)).squeeze(1).to_type(ScalarType.Float32);
        }).ToArray();
        return cat(parts, 1);
    }

    /// <summary>
    /// Branching score of every neuron (−inf where stable or already split). A ReLU output with a negative coefficient a
    /// enters the lower bound through the upper chord, whose intercept costs <c>|a|·u·(−l)/(u−l)</c>; splitting removes that
    /// cost. A positive coefficient uses the lower line, whose error reaches <c>min(u, −l)</c>, counted at a quarter. A
    /// tiny width term breaks ties towards the widest neuron when no coefficient reaches a neuron.
    /// </summary>
    static Tensor Scores(Tensor l, Tensor u, Tensor a)
    {
        var unstable = l.lt(0).logical_and(u.gt(0));
        var width = (u - l).clamp_min(1e-12);
        var intercept = u.clamp_min(0) * (-l).clamp_min(0) / width;
        var score = (-a).clamp_min(0) * intercept + 0.25 * a.clamp_min(0) * minimum(u, -l).clamp_min(0) + 1e-6 * width;
        return where(unstable, score, full_like(score, float.NegativeInfinity));
    }
}
