using TorchSharp;
using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Verification.Search;

/// <summary>
/// Neuron splitting on every branchable nonlinearity (<see cref="IBranchableRule"/>: ReLU, LeakyReLU, Abs, Clip, sigmoid,
/// tanh, ...), GenBaB-style. Splitting neuron j at point p (chosen by its rule: 0 for ReLU-like ops, the point that
/// minimises the children's relaxation areas for S-shaped ones) makes two children, "input ≥ p" and "input ≤ p"; they
/// cover the parent, and each child's relaxation is computed on its narrower interval.
/// <para>
/// Representation. A sub-problem carries "split" <c>[B, R]</c> (int8 over all R branchable neurons, in node order: +1 for
/// the upper side of the neuron's newest split, −1 for the lower side, 0 free). When every branchable op is linear on
/// each side of 0 (<see cref="IBranchableRule.ExactSplitAtZero"/>: ReLU networks, LeakyReLU networks), that is all: the
/// point is 0, one split makes the neuron exact and it is never split again — exactly the classic ReLU search. Otherwise
/// (the compact form cannot say where a sigmoid was split, nor that it was split twice) the sub-problem also carries the
/// accumulated clips "clo"/"chi" <c>[B, R]</c> of each neuron's input (−inf/+inf where never split); the newest split's
/// point is then clo (sign +1) or chi (sign −1). The engine clips the inputs' bounds by both
/// (<see cref="SubproblemInputs.Splits"/>, <see cref="SubproblemInputs.SplitPoints"/>,
/// <see cref="SubproblemInputs.SplitBounds"/>) and, with beta-CROWN (the default here), optimises one Lagrange
/// multiplier per neuron for its newest split constraint <c>s·(x − p) ≥ 0</c> (older splits of the same neuron act by
/// clipping only: dropping a Lagrange term is always sound). Once no neuron is worth splitting the bound can still be
/// loose; such sub-problems fall back to input bisection, which makes the search complete in the limit.
/// </para>
/// <para>
/// With bound reuse, a sub-problem also carries its pre-activation bounds "pl"/"pu" <c>[B, R]</c> and "cut" <c>[B]</c>
/// (the node id of the input of its newest split's layer): the parent's bounds of nodes up to the cut hold for the child
/// and are passed as known bounds instead of being recomputed (the batch uses the smallest cut of its members). With
/// alpha-/beta-CROWN, children start from their parent's best parameters of every optimisable node
/// (<see cref="IOptimisableRule"/>: ReLU slopes, sigmoid tangent points, ...) and multipliers: "alpha" <c>[B, S·P]</c>
/// and "beta" <c>[B, S·R]</c>. Every parameter in [0, 1] is sound and is read relative to the child's own valid range.
/// </para>
/// </summary>
sealed class NeuronBrancher : Brancher
{
    sealed record Layer(Node Node, int Pre, long Offset, long Size, long[] Shape, IBranchableRule Rule);
    sealed record Optimisable(int Node, long[] Shape, long Offset, long Size);

    readonly Layer[] _layers;
    readonly long _neurons;
    readonly bool _compact;                 // every layer splits exactly at 0: "split" alone describes a sub-problem
    readonly Optimisable[] _allOptimisable; // every node with optimisable parameters
    Optimisable[] _optimisable = Array.Empty<Optimisable>();   // the alpha layout carried (see Root)
    long _parameters;
    readonly bool _reuse;
    readonly int[] _coefficientNodes;
    readonly Tensor _preOfNeuron;          // [R] long: the pre-activation node id of each neuron's layer
    readonly BabOptions _options;
    bool _inherit;                         // sub-problems carry "alpha"/"beta": the parent's best parameters and multipliers
    long _rows;
    Tensor? _c;                            // the rows of the search engine's last batch (for filtered smart branching)
    readonly Lazy<BoundEngine> _fsbEngine; // CROWN over fixed intermediate bounds: cheap estimates of candidate splits

    /// <summary>Whether <paramref name="graph"/> has a node that neuron splitting can split.</summary>
    public static bool HasBranchable(ComputationGraph graph) => graph.Nodes.Any(IsBranchable);

    static bool IsBranchable(Node n) => n.Id > 0 && BoundRuleRegistry.For(n) is IBranchableRule r && r.IsBranchable(n);

    public NeuronBrancher(BoundEngine engine, BabOptions options) : base(engine)
    {
        var layers = new List<Layer>();
        long offset = 0;
        foreach (var node in engine.Graph.Nodes.Where(IsBranchable))
        {
            layers.Add(new Layer(node, node.Inputs[0], offset, node.Size, node.Shape, (IBranchableRule)BoundRuleRegistry.For(node)));
            offset += node.Size;
        }
        _layers = layers.ToArray();
        _neurons = offset;
        _compact = _layers.All(l => l.Rule.ExactSplitAtZero(l.Node));
        var optimisable = new List<Optimisable>();
        offset = 0;
        foreach (var node in engine.Graph.Nodes)
        {
            if (BoundRuleRegistry.For(node) is not IOptimisableRule rule || rule.ParameterShape(node) is not { } shape) continue;
            long size = shape.Aggregate(1L, (a, b) => a * b);
            optimisable.Add(new Optimisable(node.Id, shape, offset, size));
            offset += size;
        }
        _allOptimisable = optimisable.ToArray();
        _reuse = options.ReuseIntermediateBounds && _neurons <= options.MaxReusedNeurons;
        _coefficientNodes = new[] { 0 }.Concat(_layers.Select(l => l.Node.Id)).ToArray();
        var pre = new long[_neurons];
        foreach (var l in _layers) Array.Fill(pre, l.Pre, (int)l.Offset, (int)l.Size);
        _preOfNeuron = tensor(pre);   // in the caller's scope (Verifier.Run): never left to the finalizer thread
        _options = options;
        _fsbEngine = new Lazy<BoundEngine>(() => new BoundEngine(engine.Graph, engine.Options with { Method = BoundMethod.Crown }));
    }

    public override SplitStrategy Strategy => SplitStrategy.NeuronSplit;

    /// <summary>
    /// The root box's LP-refined intermediate bounds (<see cref="IntermediateRefinement"/>), or null: every sub-problem's
    /// bounds are intersected with them (they hold on every sub-box and under every split), in each engine's dtype.
    /// </summary>
    public IntermediateRefinement? Refined { get; set; }

    /// <summary>The input nodes of the branchable layers, in graph order (each once).</summary>
    public IEnumerable<int> LayerInputs => _layers.Select(l => l.Pre).Distinct();

    public override DomainBatch Root(Tensor lo, Tensor hi, int rows)
    {
        var b = base.Root(lo, hi, rows);
        b["split"] = zeros(1, _neurons, dtype: ScalarType.Int8);
        if (!_compact)
        {
            b["clo"] = full(1, _neurons, double.NegativeInfinity, dtype: lo.dtype);
            b["chi"] = full(1, _neurons, double.PositiveInfinity, dtype: lo.dtype);
        }
        _rows = rows;
        // Carry every optimisable node's parameters when they fit the limit, else only the branchable nodes' (ReLU slopes:
        // what was carried before other nodes had parameters), else none.
        var branchable = _layers.Select(l => l.Node.Id).ToHashSet();
        var fitting = new[] { _allOptimisable, _allOptimisable.Where(p => branchable.Contains(p.Node)).ToArray() }
            .FirstOrDefault(set => rows * Math.Max(_neurons, set.Sum(p => p.Size)) <= _options.MaxInheritedParameters);
        _optimisable = Relaid(fitting ?? Array.Empty<Optimisable>());
        _parameters = _optimisable.Sum(p => p.Size);
        _inherit = _options.InheritOptimisedParameters && Engine.Options.Method is BoundMethod.AlphaCrown or BoundMethod.BetaCrown
            && fitting is not null;
        if (_inherit)
        {
            b["alpha"] = full(1, rows * _parameters, -1f, dtype: ScalarType.Float32);   // negative: none yet (CROWN's choice)
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

    /// <summary>The engine's split inputs for sub-problems with these fields (each <c>[n, R]</c>).</summary>
    (Dictionary<int, Tensor> Splits, Dictionary<int, Tensor>? Points, Dictionary<int, Interval>? Clips) SplitInputs(Tensor split, Tensor? clo, Tensor? chi)
    {
        long n = split.shape[0];
        var splits = new Dictionary<int, Tensor>();
        Dictionary<int, Tensor>? points = null;
        Dictionary<int, Interval>? clips = null;
        Tensor? point = null;
        if (clo is not null && chi is not null)
        {
            points = new Dictionary<int, Tensor>();
            clips = new Dictionary<int, Interval>();
            point = where(split.gt(0), clo, where(split.lt(0), chi, zeros_like(clo)));
        }
        foreach (var l in _layers)
        {
            var shape = ComputationGraph.ShapeWithBatch(n, l.Shape);
            splits[l.Node.Id] = split.narrow(1, l.Offset, l.Size).reshape(shape);
            if (point is null) continue;
            points![l.Node.Id] = point.narrow(1, l.Offset, l.Size).reshape(shape);
            clips![l.Node.Id] = new Interval(clo!.narrow(1, l.Offset, l.Size).reshape(shape), chi!.narrow(1, l.Offset, l.Size).reshape(shape));
        }
        return (splits, points, clips);
    }

    public override BoundResult Bound(BoundEngine engine, DomainBatch batch, Tensor c, bool reuseCarried)
    {
        long count = batch.Count;
        var (splits, points, clips) = SplitInputs(batch["split"], _compact ? null : batch["clo"], _compact ? null : batch["chi"]);
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
            // Any parameters in [0, 1] and multipliers ≥ 0 are sound, so the parent's are a safe start (the float64 re-check too).
            given = new AlphaState();
            var alpha = batch["alpha"].view(count, _rows, _parameters);
            var beta = batch["beta"].view(count, _rows, _neurons);
            foreach (var p in _optimisable)
                given.LowerPass[p.Node] = alpha.narrow(2, p.Offset, p.Size).reshape(ComputationGraph.ShapeWithBatch(count, new[] { _rows }.Concat(p.Shape).ToArray()));
            foreach (var l in _layers)
                given.BetaLowerPass[l.Node.Id] = beta.narrow(2, l.Offset, l.Size).reshape(ComputationGraph.ShapeWithBatch(count, new[] { _rows }.Concat(l.Shape).ToArray()));
        }
        return engine.Compute(batch["lo"], batch["hi"], c, new SubproblemInputs
        {
            Splits = splits, SplitPoints = points, SplitBounds = clips, KnownBounds = known, NeedUpper = false,
            OuterBounds = Refined?.For(engine.Options.DType), CoefficientNodes = _coefficientNodes, Alphas = given, OptimiseUntil = OptimiseUntil, StopWhenProved = StopWhenProved,
        });
    }

    /// <summary>A root's bounds came from the root stage: its rows are those filtered smart branching tries splits on.</summary>
    public override void Adopted(Tensor c) => _c = c;

    /// <summary>
    /// A sub-problem is empty when a split neuron's clipped bounds cross (forced above its point but its sound upper bound
    /// is below it, or the reverse): no input of the box satisfies its splits. The crossing must exceed a relative margin so
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
            var pl = preL.index_select(0, withNeuron); var pu = preU.index_select(0, withNeuron);
            var point = _compact ? null : Points(pl.gather(1, idx), pu.gather(1, idx), idx).to_type(sub["clo"].dtype);     // [h, 1]
            var children = new DomainBatch();
            var idx2 = cat(new[] { idx, idx });
            var sign2 = cat(new[] { ones(h, 1, dtype: ScalarType.Int8), full(h, 1, -1, dtype: ScalarType.Int8) });        // upper side first
            var (split, clo, chi) = Apply(Twice(sub["split"]), _compact ? null : Twice(sub["clo"]), _compact ? null : Twice(sub["chi"]),
                idx2, sign2, point is null ? null : Twice(point));
            children["split"] = split;
            if (clo is not null) { children["clo"] = clo; children["chi"] = chi!; }
            if (_reuse)
            {
                children["pl"] = Twice(pl);
                children["pu"] = Twice(pu);
                children["cut"] = Twice(_preOfNeuron.index_select(0, idx.squeeze(1)));
            }
            if (_inherit && bounds.Alphas is { } optimised)
            {
                var alpha = Carried(optimised.LowerPass, _optimisable.Select(p => (p.Node, p.Size)), _parameters, bounds.Lower.shape[0], -1f)
                    .index_select(0, openIndex).index_select(0, withNeuron);
                var beta = Carried(optimised.BetaLowerPass, _layers.Select(l => (l.Node.Id, l.Size)), _neurons, bounds.Lower.shape[0], 0f)
                    .index_select(0, openIndex).index_select(0, withNeuron);
                children["alpha"] = Twice(alpha);
                children["beta"] = Twice(beta);
            }
            foreach (var (name, t) in sub.Fields)
            {
                if (children.Has(name)) continue;
                children[name] = name == "depth" ? Twice(t + 1) : Twice(t);
            }
            parts.Add(children);
        }
        if (without.shape[0] > 0)
        {
            // No neuron is worth splitting yet the bound is not a proof: bisect the input box instead.
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

    static Tensor Twice(Tensor t) => cat(new[] { t, t });

    /// <summary>The same nodes with offsets laid out one after the other.</summary>
    static Optimisable[] Relaid(IEnumerable<Optimisable> nodes)
    {
        long offset = 0;
        return nodes.Select(p => { var q = p with { Offset = offset }; offset += p.Size; return q; }).ToArray();
    }

    /// <summary>
    /// Splits neuron <paramref name="idx"/> (<c>[n, 1]</c>) of each sub-problem the way <paramref name="sign"/> says
    /// (+1: input ≥ point, −1: input ≤ point): the new sign, and in the clip form the clip tightened at the point.
    /// </summary>
    (Tensor Split, Tensor? Lo, Tensor? Hi) Apply(Tensor split, Tensor? clo, Tensor? chi, Tensor idx, Tensor sign, Tensor? point)
    {
        var s = split.scatter(1, idx, sign);
        if (clo is null || chi is null || point is null) return (s, null, null);
        var up = sign.gt(0);
        var lo = clo.scatter(1, idx, where(up, maximum(point, clo.gather(1, idx)), clo.gather(1, idx)));
        var hi = chi.scatter(1, idx, where(up, chi.gather(1, idx), minimum(point, chi.gather(1, idx))));
        return (s, lo, hi);
    }

    /// <summary>
    /// The split point of neuron <paramref name="idx"/> (<c>[n, 1]</c>, global index) of each sub-problem, given its input
    /// bounds <paramref name="l"/>, <paramref name="u"/> (<c>[n, 1]</c>), from its layer's rule.
    /// </summary>
    Tensor Points(Tensor l, Tensor u, Tensor idx)
    {
        var point = (l + u) / 2;
        foreach (var layer in _layers)
        {
            var mine = idx.ge(layer.Offset).logical_and(idx.lt(layer.Offset + layer.Size)).squeeze(1).nonzero().squeeze(1);
            if (mine.shape[0] == 0) continue;
            var p = layer.Rule.BranchPoint(layer.Node, l.index_select(0, mine), u.index_select(0, mine)).to_type(point.dtype);
            point = point.index_put_(p, mine);
        }
        return point;
    }

    /// <summary>
    /// Filtered smart branching (FSB, De Palma et al. 2021): the <see cref="BabOptions.BranchingCandidates"/> best neurons by
    /// <see cref="Scores"/> are each split both ways (at their rule's point), every child bounded by one cheap CROWN pass
    /// that keeps the parent's pre-activation bounds (clipped by the new split); the candidate whose worse child has the
    /// highest target-row bound wins. Returns (score of the winner, −inf where no neuron is unstable; its index), each <c>[b, 1]</c>.
    /// </summary>
    (Tensor Best, Tensor Neuron) Filtered(DomainBatch open, Tensor preL, Tensor preU, Tensor score, Tensor targetRow)
    {
        long b = score.shape[0];
        int k = (int)Math.Min(_options.BranchingCandidates, _neurons);
        var (topScore, topIdx) = score.topk(k, dim: 1);                                                  // [b, k]
        using var noGrad = no_grad();
        var rep = arange(b, dtype: ScalarType.Int64).repeat_interleave(2L * k);                          // [b·2k]: domain of each trial child
        var neuron = topIdx.repeat_interleave(2, dim: 1).reshape(-1, 1);                                 // [b·2k, 1]
        var sign = tensor(new sbyte[] { 1, -1 }).repeat(b * k).unsqueeze(1);                            // upper, lower, ...
        Tensor? point = null;
        if (!_compact)
        {
            var flat = topIdx.reshape(-1, 1);                                                            // [b·k, 1]
            var p = Points(preL.gather(1, topIdx).reshape(-1, 1), preU.gather(1, topIdx).reshape(-1, 1), flat);
            point = p.repeat_interleave(2, dim: 0).to_type(open["clo"].dtype);                          // [b·2k, 1]
        }
        var (split, clo, chi) = Apply(open["split"].index_select(0, rep), _compact ? null : open["clo"].index_select(0, rep),
            _compact ? null : open["chi"].index_select(0, rep), neuron, sign, point);
        long n = rep.shape[0];
        var (splits, points, clips) = SplitInputs(split, clo, chi);
        var known = new Dictionary<int, Interval>();
        var engine = _fsbEngine.Value;
        foreach (var l in _layers)
        {
            var shape = ComputationGraph.ShapeWithBatch(n, engine.Graph.Nodes[l.Pre].Shape);
            known[l.Pre] = new Interval(preL.narrow(1, l.Offset, l.Size).index_select(0, rep).reshape(shape),
                preU.narrow(1, l.Offset, l.Size).index_select(0, rep).reshape(shape));
        }
        using var r = engine.Compute(open["lo"].index_select(0, rep), open["hi"].index_select(0, rep), _c!,
            new SubproblemInputs { Splits = splits, SplitPoints = points, SplitBounds = clips, KnownBounds = known, NeedUpper = false, OptimiseUntil = OptimiseUntil });
        var row = targetRow.index_select(0, rep).unsqueeze(1);                                           // [b·2k, 1]
        var child = r.Lower.gather(1, row).to_type(ScalarType.Float32).view(b, k, 2);
        var worse = child.amin(new long[] { 2 });                                                        // [b, k]
        worse = where(topScore.isfinite(), worse.nan_to_num(float.NegativeInfinity), full_like(worse, float.NegativeInfinity));
        var pick = worse.argmax(1, keepdim: true);                                                       // [b, 1]
        return (topScore.gather(1, pick), topIdx.gather(1, pick));
    }

    /// <summary>
    /// Per-node tensors <c>[B, S, *shape]</c> of the nodes <paramref name="layout"/> (id, elements per row) as one
    /// <c>[B, S·total]</c> float32 field (<paramref name="missing"/> where a node has none). An empty layout (a network whose
    /// branchable ops have no parameters, such as Exp or Log) gives <c>[B, 0]</c>: <c>cat</c> of no tensors throws.
    /// </summary>
    Tensor Carried(Dictionary<int, Tensor> perNode, IEnumerable<(int Node, long Size)> layout, long total, long batch, float missing)
    {
        var parts = layout.Select(p => perNode.TryGetValue(p.Node, out var t)
            ? t.reshape(batch, _rows, p.Size).to_type(ScalarType.Float32)
            : full(batch, _rows, p.Size, missing, dtype: ScalarType.Float32)).ToArray();
        return parts.Length == 0 ? zeros(batch, 0, dtype: ScalarType.Float32) : cat(parts, 2).reshape(batch, _rows * total);
    }

    /// <summary>Lower-pass coefficients of every branchable node's output for each open sub-problem's target row, <c>[b, R]</c> (zero where the pass never reached a layer).</summary>
    Tensor Coefficients(BoundResult bounds, Tensor openIndex, Tensor targetRow)
    {
        long b = openIndex.shape[0];
        var parts = _layers.Select(l =>
        {
            var a = bounds.LowerCoefficients?.GetValueOrDefault(l.Node.Id);
            if (a is null) return zeros(b, l.Size);
            a = a.reshape(a.shape[0], a.shape[1], -1).index_select(0, openIndex);                                 // [b, S, size]
            return a.gather(1, targetRow.view(b, 1, 1).expand(b, 1, l.Size)).squeeze(1).to_type(ScalarType.Float32);
        }).ToArray();
        return cat(parts, 1);
    }

    /// <summary>
    /// Branching score of every neuron (−inf where its rule says a split would not help). The score generalises BaBSR's
    /// intercept score: a node output with coefficient a in the target row's lower bound enters through the upper line of
    /// its relaxation when a &lt; 0, which costs up to <c>|a|·errUpper</c> (for ReLU the chord's intercept
    /// <c>u·(−l)/(u−l)</c>), and through the lower line when a &gt; 0, costing up to <c>a·errLower</c>, counted at a
    /// quarter for ReLU-like ops (alpha-CROWN optimises that line; for ReLU <c>min(u, −l)</c>) and at a half for the
    /// others, whose two lines are both optimised tangents (on the 8 small sigmoid and tanh properties of
    /// <c>NeuronBranchAndBoundTests</c>, a half needed 170 + 828 domains in all for the proofs that a quarter found in
    /// 440 + 992, and a weight of 1 lost a tanh proof: a rough choice, not a tuned one). Splitting removes (ReLU) or shrinks (sigmoid)
    /// that cost. The errors come from the rule (<see cref="IBranchableRule.RelaxationError"/>). A tiny width term breaks
    /// ties towards the widest neuron when no coefficient reaches a neuron. For ReLU this is exactly the score used before
    /// neuron splitting was generalised.
    /// </summary>
    Tensor Scores(Tensor preL, Tensor preU, Tensor a)
    {
        var parts = _layers.Select(layer =>
        {
            var l = preL.narrow(1, layer.Offset, layer.Size); var u = preU.narrow(1, layer.Offset, layer.Size);
            var c = a.narrow(1, layer.Offset, layer.Size);
            var unstable = layer.Rule.Unstable(layer.Node, l, u);
            var (errLower, errUpper) = layer.Rule.RelaxationError(layer.Node, l, u);
            var width = (u - l).clamp_min(1e-12);
            double w = layer.Rule.ExactSplitAtZero(layer.Node) ? 0.25 : 0.5;               // see above
            var score = (-c).clamp_min(0) * errUpper + w * c.clamp_min(0) * errLower + 1e-6 * width;
            return where(unstable, score, full_like(score, float.NegativeInfinity));
        }).ToArray();
        return parts.Length == 1 ? parts[0] : cat(parts, 1);
    }
}
