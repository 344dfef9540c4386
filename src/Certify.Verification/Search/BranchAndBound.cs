using TorchSharp;
using System.Diagnostics;
using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Verification.Search;

/// <summary>
/// Complete verification by branch and bound over the bound engine. Each region of a specification is a separate root;
/// its open sub-problems (domains) live stacked in a queue and are bounded in batches (CROWN, alpha-CROWN, or beta-CROWN
/// for neuron splitting). A domain is
/// dropped only when its bounds prove every disjunct of the unsafe condition impossible (some row of each conjunction has
/// <c>lower(c·y) &gt; d</c>); otherwise it is split (input bisection or a neuron split, see <see cref="SplitStrategy"/>). On
/// every unproven domain the network is evaluated at its centre and at the minimisers of the rows' linear lower bounds;
/// an output in the unsafe set is returned as a <see cref="BabCandidate"/>, never as a verdict (the caller re-checks it).
/// <para>
/// Floating point: the search bounds in float32. A row counts as proven only when its bound clears d by a relative margin
/// (<see cref="BabOptions.Tolerance"/>), far above float32 rounding in CROWN's sums; domains that would be proven without
/// the margin (close calls) are re-bounded from scratch in float64 and dropped only if the float64 bound clears d by
/// 1e-9 relative. Carried intermediate bounds are never reused in the float64 re-check.
/// </para>
/// </summary>
public sealed class BranchAndBound
{
    readonly ComputationGraph _graph;
    readonly Engines _engines;
    readonly Engines? _alphaEngines;       // the second phase of input splitting; null when not used
    readonly BoundEngine? _refineEngine;   // float64 CROWN for the LP refinement of intermediate bounds; null when off

    /// <summary>
    /// A search engine and its float64 twin for re-checking close calls. The twin uses the same method: every slope in
    /// [0, 1] and every multiplier ≥ 0 gives a sound bound, so whatever its optimiser finds is sound, and a float32
    /// alpha/beta-CROWN proof is not lost to a plain CROWN re-check.
    /// </summary>
    sealed record Engines(BoundEngine Search, BoundEngine Float64);

    /// <summary>Prepares the search over <paramref name="graph"/>.</summary>
    /// <exception cref="NotSupportedException">when a node has no bound rule.</exception>
    public BranchAndBound(ComputationGraph graph, BabOptions? options = null)
    {
        Options = options ?? new BabOptions();
        _graph = graph;
        Strategy = ChooseStrategy(graph, Options);
        Method = Options.Method ?? (Strategy == SplitStrategy.NeuronSplit ? BoundMethod.BetaCrown : BoundMethod.Crown);
        var bo = new BoundOptions
        {
            Method = Method, DType = Options.DType, AlphaIterations = Options.AlphaIterations, BetaIterations = Options.BetaIterations,
            EarlyStopWindow = Options.EarlyStopWindow, EarlyStopRelative = Options.EarlyStopRelative, EarlyStopAbsolute = Options.EarlyStopAbsolute,
        };
        // Every engine is built here, not on first use: an engine that converts the graph's parameters (a float64 twin of a
        // float32 graph) owns the converted tensors, and built inside a search step they would belong to that step's
        // dispose scope and be freed with it.
        _engines = MakeEngines(bo);
        _alphaEngines = Portfolio ? MakeEngines(bo with { Method = BoundMethod.AlphaCrown }) : null;
        _refineEngine = Strategy == SplitStrategy.NeuronSplit && Options.Refinement.Enabled
            ? new BoundEngine(_graph, bo with { Method = BoundMethod.Crown, DType = ScalarType.Float64 }) : null;
    }

    /// <summary>What the LP refinement of intermediate bounds did, one report per region searched with it (see <see cref="BabOptions.Refinement"/>).</summary>
    public List<RefinementReport> Refinements { get; } = new();

    /// <summary>
    /// <see cref="BabOptions.Strategy"/> with <see cref="SplitStrategy.Auto"/> resolved: input splitting for inputs of at
    /// most <see cref="BabOptions.InputSplitMaxDimension"/> variables (few dimensions: bisection shrinks every relaxation
    /// at once) or when no node can be branched on; neuron splitting otherwise, for any branchable nonlinearity (ReLU,
    /// LeakyReLU, sigmoid, tanh, ...: a 784-input sigmoid network is hopeless for input bisection).
    /// </summary>
    public static SplitStrategy ChooseStrategy(ComputationGraph graph, BabOptions options) => options.Strategy switch
    {
        SplitStrategy.Auto => graph.InputSize <= options.InputSplitMaxDimension || !NeuronBrancher.HasBranchable(graph)
            ? SplitStrategy.InputSplit : SplitStrategy.NeuronSplit,
        var s => s,
    };

    Engines MakeEngines(BoundOptions bo)
    {
        var engine = new BoundEngine(_graph, bo);
        return new Engines(engine, Options.DType == ScalarType.Float64 ? engine : new BoundEngine(_graph, bo with { DType = ScalarType.Float64 }));
    }

    /// <summary>The settings.</summary>
    public BabOptions Options { get; }

    /// <summary>The split strategy in use (<see cref="SplitStrategy.Auto"/> resolved).</summary>
    public SplitStrategy Strategy { get; }

    /// <summary>
    /// The bound method in use (<see cref="BabOptions.Method"/> resolved by strategy when null). With input splitting and no
    /// method forced, this is the first phase's (CROWN); a second phase, if needed, uses alpha-CROWN.
    /// </summary>
    public BoundMethod Method { get; }

    /// <summary>The bound methods in the order the search uses them, for logs (e.g. "crown, then alpha-crown").</summary>
    public string MethodDescription => Portfolio
        ? $"{BoundOptions.MethodName(Method)}, then {BoundOptions.MethodName(BoundMethod.AlphaCrown)}"
        : BoundOptions.MethodName(Method);

    /// <summary>Input splitting with the default method runs two phases (see <see cref="BabOptions.InputSplitFirstPhaseShare"/>).</summary>
    bool Portfolio => Strategy == SplitStrategy.InputSplit && Options.Method is null && Options.InputSplitFirstPhaseShare < 1;

    /// <summary>
    /// Searches every region of <paramref name="spec"/> (sharing the time and domain limits). Verified only when every
    /// region is; the first candidate found ends the run; otherwise the first region's stop reason is reported.
    /// </summary>
    public BabResult Run(Specification spec, CancellationToken cancel = default) => Run(spec, Deadline.Cancelled(cancel));

    /// <summary>
    /// <see cref="Run(Specification, CancellationToken)"/> until <paramref name="deadline"/> or <see cref="BabOptions.TimeLimit"/>
    /// from now, whichever comes first. The deadline reaches the bound engine's inner loops too, so one slow batch stops
    /// early (with sound, looser bounds) instead of running past it.
    /// </summary>
    /// <para>
    /// <paramref name="start"/>: root bounds left by an earlier run (the verifier's root stage, see <see cref="RootBounds"/>);
    /// a region whose root is held there and fits this run starts from it instead of bounding its root again, and the
    /// result is taken over (disposed by this run).
    /// </para>
    public BabResult Run(Specification spec, Deadline deadline, RootBounds? start = null)
    {
        if (spec.InputSize != _graph.InputSize || spec.OutputSize != _graph.OutputSize)
            throw new ArgumentException($"the specification has {spec.InputSize} inputs and {spec.OutputSize} outputs but the network has {_graph.InputSize} and {_graph.OutputSize}");
        var run = new RunState(Options, Strategy, deadline) { Start = start };
        BabStatus? stop = null;
        for (int r = 0; r < spec.Regions.Count; r++)
        {
            var (status, candidate) = Search(spec.Regions[r], r, run);
            if (status == BabStatus.Candidate) return new BabResult(status, candidate, run.Statistics());
            if (status != BabStatus.Verified) stop ??= status;
            if (status == BabStatus.Timeout) break;
        }
        run.Report(-1, 0, force: true);
        return new BabResult(stop ?? BabStatus.Verified, null, run.Statistics());
    }

    /// <summary>
    /// A cheap falsification pass: evaluates the network at each region's centre and at <paramref name="count"/> uniform
    /// random points of its box; returns the first point whose output is unsafe (a candidate to re-check), or null.
    /// </summary>
    public BabCandidate? Sample(Specification spec, int count, int seed = 0)
    {
        var g = manual_seed(seed);
        for (int r = 0; r < spec.Regions.Count; r++)
        {
            using var scope = NewDisposeScope();
            var region = spec.Regions[r];
            using var rows = new UnsafeRows(region, (int)_graph.OutputSize, Options.DType);
            var lo = tensor(region.Lower).unsqueeze(0);
            var hi = tensor(region.Upper).unsqueeze(0);
            var u = rand(new long[] { count, lo.shape[1] }, ScalarType.Float64, generator: g);
            var points = cat(new[] { (lo + hi) / 2, lo + u * (hi - lo) });
            if (Evaluate(points, r, rows, all: rows.EmptyDisjunct) is { } c) return c;
        }
        return null;
    }

    /// <summary>Searches one region (its index <paramref name="regionIndex"/> is recorded in a candidate).</summary>
    public BabResult Run(InputRegion region, int regionIndex = 0, CancellationToken cancel = default) =>
        Run(region, Deadline.Cancelled(cancel), regionIndex);

    /// <summary>
    /// Searches one region until <paramref name="deadline"/> or <see cref="BabOptions.TimeLimit"/>, whichever comes first.
    /// When <paramref name="keep"/> is given and the root is not proven, its bounds are kept there for a later run (with the
    /// coefficients of every branchable node, which a neuron-split search scores by), see <see cref="RootBounds"/>.
    /// </summary>
    public BabResult Run(InputRegion region, Deadline deadline, int regionIndex = 0, RootBounds? keep = null)
    {
        var run = new RunState(Options, Strategy, deadline) { Keep = keep };
        var (status, candidate) = Search(region, regionIndex, run);
        run.Report(regionIndex, 0, force: true);
        return new BabResult(status, candidate, run.Statistics());
    }

    (BabStatus, BabCandidate?) Search(InputRegion region, int regionIndex, RunState run)
    {
        if (region.Lower.Length != _graph.InputSize)
            throw new ArgumentException($"region {regionIndex} has {region.Lower.Length} input bounds but the network has {_graph.InputSize} inputs");
        using var rows = new UnsafeRows(region, (int)_graph.OutputSize, Options.DType);
        using var pool = new DomainPool();
        Brancher first = Strategy == SplitStrategy.InputSplit
            ? new InputBrancher(_engines.Search, Options.InputSplitCoefficientFloor, run.Keep is null ? null : BranchableNodes())
            : new NeuronBrancher(_engines.Search, Options);
        using var refined = first is NeuronBrancher nb ? Refine(region, nb, run) : null;
        // A root bounded without the refined bounds (the verifier's root stage) would branch on neurons they made stable.
        run.AdoptRoot = refined is null || refined.Report.Work.Tightened == 0;
        if (Seed(region, regionIndex, rows, pool, first) is { } unsafeEverywhere) return unsafeEverywhere;
        if (!Portfolio) return Drain(regionIndex, run, rows, pool, first, _engines, phaseOver: null)!.Value;
        // Two phases over one queue: CROWN (cheap; most properties end here) for a share of the budget, then alpha-CROWN on
        // the sub-boxes CROWN left open and their children. Its optimised slopes close sub-boxes that CROWN's fixed ones
        // leave open however finely they are cut (ACAS Xu 3_3 prop_2: CROWN bounded 750k sub-boxes in 60 s without
        // finishing; alpha-CROWN proves it in about 20k).
        var phaseEnd = run.Deadline.Share(Options.InputSplitFirstPhaseShare);
        long phaseDomains = run.Bounded + (long)Math.Min(Options.InputSplitFirstPhaseDomains, Options.MaxDomains * Options.InputSplitFirstPhaseShare);
        bool PhaseOver() => run.Bounded >= phaseDomains || phaseEnd.IsPast;
        if (Drain(regionIndex, run, rows, pool, first, _engines, PhaseOver) is { } done) return done;
        var alpha = _alphaEngines!;
        return Drain(regionIndex, run, rows, pool, new InputBrancher(alpha.Search, Options.InputSplitCoefficientFloor), alpha, phaseOver: null)!.Value;
    }

    /// <summary>
    /// The LP refinement of the root box's intermediate bounds (<see cref="BabOptions.Refinement"/>), handed to
    /// <paramref name="brancher"/>; null when it is off or a certificate is being recorded (its checker re-derives every
    /// leaf's bounds by CROWN and cannot re-derive LP bounds, so a proof that needed them would be rejected). Its time is
    /// the earlier of its share of the run's remaining time and its cap.
    /// </summary>
    IntermediateRefinement? Refine(InputRegion region, NeuronBrancher brancher, RunState run)
    {
        if (_refineEngine is null || Options.Recorder is not null || Options.Refinement.Layers <= 0) return null;
        double[] lower, upper;
        using (NewDisposeScope())
        {
            var (lo, hi) = RootBox(region);
            lower = lo.to_type(ScalarType.Float64).data<double>().ToArray();
            upper = hi.to_type(ScalarType.Float64).data<double>().ToArray();
        }
        var o = Options.Refinement;
        // The first layer's input is an affine image of the box: its interval bounds are exact, so it is skipped.
        var inputs = brancher.LayerInputs.Skip(1).Take(o.Layers).ToList();
        if (inputs.Count == 0) return null;
        var refined = IntermediateRefinement.Run(_refineEngine, lower, upper, inputs, o, run.Deadline.Share(o.TimeShare).Within(o.MaxTime));
        Refinements.Add(refined.Report);
        brancher.Refined = refined;
        return refined;
    }

    /// <summary>The input (node 0) and every branchable node: the coefficients a kept root carries for a neuron-split search.</summary>
    int[] BranchableNodes() => new[] { 0 }.Concat(_graph.Nodes
        .Where(n => n.Id > 0 && BoundRuleRegistry.For(n) is IBranchableRule r && r.IsBranchable(n)).Select(n => n.Id)).ToArray();

    /// <summary>A region's box as a batch of one in the search dtype, <c>[1, n]</c> each.</summary>
    (Tensor Lo, Tensor Hi) RootBox(InputRegion region)
    {
        if (Options.DType != ScalarType.Float32)
            return (tensor(region.Lower).to_type(Options.DType).unsqueeze(0), tensor(region.Upper).to_type(Options.DType).unsqueeze(0));
        // Rounded outward, never to nearest: a float32 box rounded to nearest can leave out a sliver (under one ulp) of the
        // property's box at each face, and a proof over the smaller box would not cover the whole region.
        static float Down(double v) { float f = (float)v; return f > v ? MathF.BitDecrement(f) : f; }
        static float Up(double v) { float f = (float)v; return f < v ? MathF.BitIncrement(f) : f; }
        return (tensor(region.Lower.Select(Down).ToArray()).unsqueeze(0), tensor(region.Upper.Select(Up).ToArray()).unsqueeze(0));
    }

    /// <summary>
    /// Pushes the region's root sub-problem; returns a candidate instead when some disjunct has no rows (it holds
    /// everywhere, so any point of the box is unsafe).
    /// </summary>
    (BabStatus, BabCandidate?)? Seed(InputRegion region, int regionIndex, UnsafeRows rows, DomainPool pool, Brancher brancher)
    {
        using var scope = NewDisposeScope();
        var (lo, hi) = RootBox(region);
        if (rows.EmptyDisjunct) return (BabStatus.Candidate, Evaluate((lo + hi) / 2, regionIndex, rows, all: true));
        using var root = brancher.Root(lo, hi, rows.Count);
        Options.Recorder?.Root(regionIndex, lo, hi);
        pool.Push(root);
        return null;
    }

    /// <summary>
    /// Bounds and splits the queued sub-problems with one brancher until none is left, a candidate is found, the run stops,
    /// or <paramref name="phaseOver"/> says so (then null, with the open sub-problems still in <paramref name="pool"/>).
    /// </summary>
    (BabStatus, BabCandidate?)? Drain(int regionIndex, RunState run, UnsafeRows rows, DomainPool pool, Brancher brancher, Engines engines, Func<bool>? phaseOver)
    {
        brancher.OptimiseUntil = run.Deadline;
        // The rows' proof targets: alpha-/beta-CROWN may stop once every row clears d by the search's own margin.
        brancher.StopWhenProved = Options.EarlyStopWhenProved ? new ProofTargets(rows.Rhs, Options.Tolerance) : null;
        while (pool.Count > 0)
        {
            if (run.Stopped is { } why) { run.Remember(pool); return (why, null); }
            if (phaseOver is not null && phaseOver()) return null;
            using var scope = NewDisposeScope();
            var (candidate, children) = Step(brancher, engines, pool.Pop(Options.BatchSize), rows, regionIndex, run);
            if (candidate is not null) { run.Remember(pool); return (BabStatus.Candidate, candidate); }
            if (children is not null)
            {
                // Stop before the queue outgrows its memory: an honest "memory limit" instead of the kernel's kill.
                if (pool.BytesAfterPush(children) > run.MaxQueueBytes) { run.Remember(pool, children); return (BabStatus.MemoryLimit, null); }
                pool.Push(children);
            }
            run.Report(regionIndex, pool.Count, force: false, pool);
        }
        return (BabStatus.Verified, null);
    }

    /// <summary>Bounds one batch; returns a candidate, or the children of its unproven domains (null when all were proven).</summary>
    (BabCandidate?, DomainBatch?) Step(Brancher brancher, Engines engines, DomainBatch batch, UnsafeRows rows, int regionIndex, RunState run)
    {
        long count = batch.Count;
        bool root = count == 1 && batch["depth"].max().ToInt32() == 0;
        // A root bounded by an earlier run (the verifier's root stage) is not bounded again; see RootBounds.
        var adopted = root && run.AdoptRoot ? run.Start?.Take(_graph, Options.DType, engines.Search.Options.Method, regionIndex) : null;
        using var bounds = adopted ?? brancher.Bound(engines.Search, batch, rows.C, reuseCarried: true);
        if (adopted is null) { run.EngineCalls++; run.RowPasses += bounds.RowPasses; }
        else { run.RootsReused++; brancher.Adopted(rows.C); }
        run.Bounded += count;
        var lower = bounds.Lower.to_type(ScalarType.Float32);                                      // [B, S]
        var rhs = rows.Rhs.to_type(ScalarType.Float32).unsqueeze(0);                              // [1, S]
        // A parent's bound holds on its children, so the search may prove a row by an ancestor's bound. A certificate
        // cannot carry that: its checker bounds each leaf's own box, and an ancestor bound by another method (the root
        // stage's alpha-CROWN handed to a CROWN search) is one it cannot re-derive there. So while a proof is recorded,
        // each leaf must refute its rows by its own bound (ACAS Xu 1_1 prop_6 and 3_3 prop_9 were rejected otherwise).
        var best = Options.Recorder is null ? maximum(batch["best"], lower - rhs) : lower - rhs;
        var tolerance = Options.Tolerance * (1 + rhs.abs() + (best + rhs).abs());
        // Only a finite bound proves a row: NaN fails every comparison, and +inf (an overflow; with Certify's finite
        // parameters a sound lower bound on a finite box is finite) is refused explicitly rather than by inf > inf.
        var provenRow = best.gt(tolerance).logical_and(best.isfinite());
        var proven = rows.AllDisjunctsRefuted(provenRow);                                         // [B]
        if (brancher.Empty(bounds) is { } empty) proven = proven.logical_or(empty);
        var close = proven.logical_not().logical_and(rows.AllDisjunctsRefuted(best.gt(0)));
        Options.Recorder?.Closed(new ClosedDomains(regionIndex, batch["lo"], batch["hi"], batch.Has("split") ? batch["split"] : null,
            proven, bounds, arange(count, dtype: ScalarType.Int64)));
        if (Options.DType != ScalarType.Float64 && !run.Deadline.IsPast && close.any().ToBoolean())
        {
            var idx = close.nonzero().squeeze(1);
            using var sub = batch.Select(idx);
            using var b64 = brancher.Bound(engines.Float64, sub, rows.C64, reuseCarried: false);
            run.EngineCalls++;
            run.Rechecks += idx.shape[0];
            var m64 = b64.Lower - rows.Rhs64.unsqueeze(0);
            var ok64 = m64.gt(1e-9 * (1 + rows.Rhs64.abs().unsqueeze(0) + b64.Lower.abs())).logical_and(m64.isfinite());
            var proven64 = rows.AllDisjunctsRefuted(provenRow.index_select(0, idx).logical_or(ok64));
            Options.Recorder?.Closed(new ClosedDomains(regionIndex, sub["lo"], sub["hi"], sub.Has("split") ? sub["split"] : null,
                proven64, b64, arange(idx.shape[0], dtype: ScalarType.Int64)));
            proven = proven.index_put_(proven.index_select(0, idx).logical_or(proven64), idx);
        }
        long verified = proven.sum().ToInt64();
        run.Verified += verified;
        if (verified == count) return (null, null);
        if (root && run.Keep is not null) run.Keep.Keep(_graph, Options.DType, regionIndex, bounds.DetachedCopy());
        var openIndex = proven.logical_not().nonzero().squeeze(1);                                // [b]
        using var open = batch.Select(openIndex);
        open["best"] = best.index_select(0, openIndex);
        var (targetRow, score) = rows.Target(open["best"]);
        open["score"] = score;
        run.MaxDepth = Math.Max(run.MaxDepth, open["depth"].max().ToInt32() + 1);
        var candidate = FindCandidate(open, bounds, openIndex, rows, regionIndex);
        if (candidate is not null) return (candidate, null);
        // Out of time: the open sub-problems go back unsplit (branching costs a CROWN pass per candidate split, 2.6 s on
        // ml4acopf past the deadline) and the run stops with them in its queue.
        if (run.Deadline.IsPast) return (null, open.Select(arange(open.Count, dtype: ScalarType.Int64)));
        var children = brancher.Branch(open, bounds, openIndex, targetRow);
        if (Options.UnsoundDropSecondChildForTesting)
        {
            // Children are laid out [first children of every domain; second children]: keep the first half only.
            using var firstHalf = arange(children.Count / 2, dtype: ScalarType.Int64, device: children["lo"].device);
            var kept = children.Select(firstHalf);
            children.Dispose();
            children = kept;
        }
        return (null, children);
    }

    /// <summary>
    /// Evaluates the network at each open domain's centre and at the minimiser over its box of each row's linear lower bound
    /// (the corner picked by the signs of the input coefficients; only the target rows when there are many rows).
    /// </summary>
    BabCandidate? FindCandidate(DomainBatch open, BoundResult bounds, Tensor openIndex, UnsafeRows rows, int regionIndex)
    {
        var lo = open["lo"]; var hi = open["hi"];
        long b = lo.shape[0], n = lo.shape[1];
        var points = new List<Tensor> { (lo + hi) / 2 };
        if (bounds.LowerCoefficients?.GetValueOrDefault(0) is { } a)
        {
            var coef = a.reshape(a.shape[0], a.shape[1], -1).index_select(0, openIndex);          // [b, S, n]
            if (rows.Count > 16)
            {
                var (row, _) = rows.Target(open["best"]);
                coef = coef.gather(1, row.view(b, 1, 1).expand(b, 1, n));
            }
            var corner = where(coef.ge(0), lo.unsqueeze(1), hi.unsqueeze(1));                     // [b, S', n]
            points.Add(corner.reshape(-1, n));
        }
        return Evaluate(cat(points.ToArray()), regionIndex, rows, all: false);
    }

    /// <summary>The first of <paramref name="points"/> (<c>[P, n]</c>) whose output is unsafe (any point when <paramref name="all"/>), or null.</summary>
    BabCandidate? Evaluate(Tensor points, int regionIndex, UnsafeRows rows, bool all)
    {
        using var noGrad = no_grad();
        var y = _engines.Search.Graph.Forward(points.to_type(Options.DType)).reshape(points.shape[0], -1);
        var bad = all ? ones(points.shape[0], dtype: ScalarType.Bool) : rows.Violates(y);
        var hits = bad.nonzero();
        if (hits.shape[0] == 0) return null;
        long i = hits[0, 0].ToInt64();
        return new BabCandidate(regionIndex, points[i].to_type(ScalarType.Float64).data<double>().ToArray(),
            y[i].to_type(ScalarType.Float64).data<double>().ToArray());
    }

    /// <summary>Counters, limits and progress reporting of one run.</summary>
    sealed class RunState(BabOptions options, SplitStrategy strategy, Deadline deadline)
    {
        readonly Stopwatch _clock = Stopwatch.StartNew();
        TimeSpan _lastReport = TimeSpan.Zero;
        public long Bounded, Verified, Rechecks, EngineCalls, Queue, RowPasses, RootsReused;

        /// <summary>Where unproven roots are kept for a later run, or null.</summary>
        public RootBounds? Keep { get; init; }

        /// <summary>Roots bounded by an earlier run, or null.</summary>
        public RootBounds? Start { get; init; }

        /// <summary>Most bytes the queue may hold (<see cref="BabOptions.MaxQueueBytes"/>, else a share of the memory available now).</summary>
        public long MaxQueueBytes { get; } = options.MaxQueueBytes
            ?? (long)(Math.Clamp(options.QueueMemoryShare, 0, 1) * Certify.Runtime.MachineMemory.AvailableBytes());

        /// <summary>Whether the region being searched may start from a root in <see cref="Start"/> (not when its bounds were refined).</summary>
        public bool AdoptRoot = true;
        public int MaxDepth;
        public double Worst = double.PositiveInfinity;

        /// <summary>The run's deadline: the caller's, or the time limit from the start of the run when that comes first.</summary>
        public Deadline Deadline { get; } = options.TimeLimit is { } limit ? deadline.Within(limit) : deadline;

        public BabStatus? Stopped =>
            Deadline.IsPast ? BabStatus.Timeout
            : Bounded >= options.MaxDomains ? BabStatus.DomainLimit : null;

        /// <summary>Records the open domains left when a region's search stops.</summary>
        public void Remember(DomainPool pool, DomainBatch? unqueued = null)
        {
            Queue += pool.Count;
            Worst = Math.Min(Worst, pool.Min("score"));
            // Children that were not queued (the memory limit) are open sub-problems too.
            if (unqueued is { Count: > 0 } u && u.Has("score"))
            {
                Queue += u.Count;
                using var scope = NewDisposeScope();
                Worst = Math.Min(Worst, u["score"].min().ToDouble());
            }
        }

        public void Report(int region, long queue, bool force, DomainPool? pool = null)
        {
            if (options.Progress is null) return;
            var now = _clock.Elapsed;
            if (!force && now - _lastReport < options.ProgressInterval) return;
            _lastReport = now;
            double worst = pool?.Min("score") ?? Worst;
            options.Progress(new BabProgress(region, Bounded, queue, worst, now));
        }

        public BabStatistics Statistics() =>
            new(strategy, Bounded, Verified, Rechecks, EngineCalls, MaxDepth, Queue, Worst, _clock.Elapsed, RowPasses, RootsReused);
    }
}
