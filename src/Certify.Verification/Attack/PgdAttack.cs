using Certify.Graph;
using Certify.Spec;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Verification.Attack;

/// <summary>Budget and schedule of a <see cref="PgdAttack"/>.</summary>
public sealed record AttackOptions
{
    /// <summary>Restarts per unsafe disjunct in one round (each restart is one row of the batch).</summary>
    public int RestartsPerDisjunct { get; init; } = 32;
    /// <summary>Gradient steps per round.</summary>
    public int Iterations { get; init; } = 100;
    /// <summary>
    /// Most rounds per region (each round restarts from fresh points); the time limit usually ends it first. With the
    /// corners, <see cref="RandomSamples"/> and <see cref="Iterations"/> it bounds the attack's work: given a time limit
    /// it does not reach, the attack does the same work on a fast machine and a slow one (tests budget it this way).
    /// </summary>
    public int MaxRounds { get; init; } = 20;
    /// <summary>First step, as a fraction of each input's box width.</summary>
    public double InitialStep { get; init; } = 0.1;
    /// <summary>Last step (the schedule decays from <see cref="InitialStep"/> to this along a cosine).</summary>
    public double FinalStep { get; init; } = 0.001;
    /// <summary>Uniform random samples per region before the gradient rounds.</summary>
    public int RandomSamples { get; init; } = 1024;
    /// <summary>All 2ⁿ box corners are tried when the input has at most this many dimensions.</summary>
    public int MaxCornerInputs { get; init; } = 10;
    /// <summary>Wall-time budget over all regions (from the start of the attack; a caller's <see cref="Deadline"/> can end it earlier).</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Seed of the random starts and samples.</summary>
    public int Seed { get; init; } = 0;
    /// <summary>Element type of the attack's forward pass (float32 matches ONNX Runtime on float32 models).</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;
    /// <summary>How many candidates <see cref="PgdAttack.Run(ComputationGraph, Specification, Deadline)"/> returns at most.</summary>
    public int MaxCandidates { get; init; } = 32;
}

/// <summary>A point found by the attack; not a counterexample until <see cref="CounterexampleChecker"/> accepts it.</summary>
/// <param name="X">Flat input, inside the region's box.</param>
/// <param name="Region">Region index.</param>
/// <param name="Margin">min over disjuncts of max over rows of (C·y − D) in the attack's own arithmetic (≤ 0: predicted violation).</param>
public sealed record AttackCandidate(double[] X, int Region, double Margin);

/// <summary>
/// Falsification by projected gradient descent on the graph's TorchSharp forward pass. For each region the attack
/// first tries the box corners (tiny inputs) and uniform random samples, then runs rounds of batched PGD: each batch
/// row targets one unsafe disjunct and minimises that disjunct's margin <c>max over rows (C·y − D)</c> (negative means
/// the output is unsafe) with sign-gradient steps that decay along a cosine, projected back onto the box after each
/// step. Half the starts of a round are the best points seen so far (perturbed), half are uniform. It only proposes
/// candidates; <see cref="Falsify(ComputationGraph, CounterexampleChecker, Deadline)"/> turns them into sat verdicts through the checker.
/// </summary>
public sealed class PgdAttack
{
    public PgdAttack(AttackOptions? options = null) => Options = options ?? new AttackOptions();

    public AttackOptions Options { get; }

    /// <summary>The best points found over all regions, most violating first (margin ascending).</summary>
    public IReadOnlyList<AttackCandidate> Run(ComputationGraph graph, Specification spec, CancellationToken cancel = default) =>
        Run(graph, spec, Deadline.Cancelled(cancel));

    /// <summary>The best points found before <paramref name="deadline"/> or <see cref="AttackOptions.TimeLimit"/>, whichever comes first.</summary>
    public IReadOnlyList<AttackCandidate> Run(ComputationGraph graph, Specification spec, Deadline deadline)
    {
        var found = new List<AttackCandidate>();
        Search(graph, spec, c => { found.Add(c); return false; }, deadline);
        return found.OrderBy(c => c.Margin).Take(Options.MaxCandidates).ToList();
    }

    /// <summary>
    /// Attacks and checks each predicted violation with <paramref name="checker"/> as soon as it appears; returns the
    /// first sat verdict, or null when the budget ends without a reproduced counterexample.
    /// </summary>
    public Verdict? Falsify(ComputationGraph graph, CounterexampleChecker checker, CancellationToken cancel = default) =>
        Falsify(graph, checker, Deadline.Cancelled(cancel));

    /// <summary><see cref="Falsify(ComputationGraph, CounterexampleChecker, CancellationToken)"/> until <paramref name="deadline"/> or <see cref="AttackOptions.TimeLimit"/>, whichever comes first.</summary>
    public Verdict? Falsify(ComputationGraph graph, CounterexampleChecker checker, Deadline deadline) => Attack(graph, checker, deadline).Sat;

    /// <summary>
    /// <see cref="Falsify(ComputationGraph, CounterexampleChecker, Deadline)"/> with what the attack did and how close it
    /// came (<see cref="AttackOutcome"/>): the verifier sizes its later attack from the best margin.
    /// </summary>
    public AttackOutcome Attack(ComputationGraph graph, CounterexampleChecker checker, Deadline deadline)
    {
        Verdict? sat = null;
        var work = Search(graph, checker.Specification, c =>
        {
            if (c.Margin > 0) return false;
            sat = checker.Confirm(c.X);
            return sat is not null;
        }, deadline);
        return new AttackOutcome(sat, work.BestMargin, work.Points, work.Steps);
    }

    /// <summary>Counters of one attack, shared by its regions.</summary>
    sealed class Work
    {
        public long Points, Steps;
        public double BestMargin = double.PositiveInfinity;
    }

    /// <summary>Runs the attack; <paramref name="report"/> sees every improved point and returns true to stop.</summary>
    Work Search(ComputationGraph graph, Specification spec, Func<AttackCandidate, bool> report, Deadline deadline)
    {
        var work = new Work();
        var end = deadline.Within(Options.TimeLimit);
        if (end.IsPast) return work;
        var g = graph.To(Options.DType);
        var rng = new Random(Options.Seed);
        using var gen = new Generator((ulong)Options.Seed);
        for (int r = 0; r < spec.Regions.Count; r++)
        {
            if (end.IsPast) return work;
            var share = end.Share(1.0 / (spec.Regions.Count - r));
            var region = new RegionAttack(g, spec.Regions[r], r, Options, report, gen, rng, work);
            if (region.Run(share)) return work;
        }
        return work;
    }

    /// <summary>The attack on one region's box.</summary>
    sealed class RegionAttack
    {
        readonly ComputationGraph _g;
        readonly InputRegion _region;
        readonly int _index;
        readonly AttackOptions _o;
        readonly Func<AttackCandidate, bool> _report;
        readonly Generator _gen;
        readonly Random _rng;
        readonly Work _work;
        readonly int _n, _k;
        readonly Tensor _lo, _hi, _width;         // [n]
        readonly Tensor _c, _d;                    // [R, m], [R]
        readonly Tensor[] _rowsOf;                 // per disjunct: row indices
        readonly List<(double[] X, double Margin)> _elite = new();
        TimeSpan _lastStep;                          // duration of the last gradient step

        /// <summary>
        /// At the deadline, or when the last gradient step took longer than the time left: one step on a batch of 32 rows
        /// per disjunct took about a second with ml4acopf's 276 disjuncts on a loaded machine.
        /// </summary>
        bool OutOfTime(Deadline deadline) => deadline.IsPast || (deadline.HasTimeLimit && deadline.Remaining < _lastStep);
        double _bestReported = double.PositiveInfinity;

        public RegionAttack(ComputationGraph g, InputRegion region, int index, AttackOptions o, Func<AttackCandidate, bool> report, Generator gen, Random rng, Work work)
        {
            _g = g; _region = region; _index = index; _o = o; _report = report; _gen = gen; _rng = rng; _work = work;
            _n = region.Lower.Length;
            _k = region.Unsafe.Disjuncts.Count;
            _lo = tensor(region.Lower, dtype: o.DType);
            _hi = tensor(region.Upper, dtype: o.DType);
            _width = _hi - _lo;
            var rows = region.Unsafe.Rows.ToList();
            int m = (int)g.OutputSize;
            _c = rows.Count == 0 ? zeros(0, m, dtype: o.DType) : tensor(rows.SelectMany(x => x.Row.C).ToArray(), new long[] { rows.Count, m }, dtype: o.DType);
            _d = tensor(rows.Select(x => x.Row.D).ToArray(), dtype: o.DType);
            _rowsOf = Enumerable.Range(0, _k).Select(k => tensor(rows.Select((x, i) => (x.Clause, i)).Where(t => t.Clause == k).Select(t => (long)t.i).ToArray())).ToArray();
        }

        /// <summary>True when the report asked to stop.</summary>
        public bool Run(Deadline deadline)
        {
            bool outOfTime() => OutOfTime(deadline);
            if (_k == 0) return false;                       // no unsafe outputs at all: nothing to attack
            if (_n <= _o.MaxCornerInputs && Sample(Corners())) return true;
            for (int done = 0; done < _o.RandomSamples && !outOfTime(); done += 1024)
            {
                using var scope = NewDisposeScope();
                int b = Math.Min(1024, _o.RandomSamples - done);
                if (Sample(_lo + rand(new long[] { b, _n }, dtype: _o.DType, generator: _gen) * _width)) return true;
            }
            for (int round = 0; round < _o.MaxRounds && !outOfTime(); round++)
                if (Pgd(outOfTime)) return true;
            return false;
        }

        Tensor Corners()
        {
            int count = 1 << _n;
            var pts = new double[count * _n];
            for (int c = 0; c < count; c++)
                for (int i = 0; i < _n; i++)
                    pts[c * _n + i] = ((c >> i) & 1) == 0 ? _region.Lower[i] : _region.Upper[i];
            return tensor(pts, new long[] { count, _n }, dtype: _o.DType);
        }

        /// <summary>Margins <c>[B, K]</c>: per disjunct, max over its rows of (C·y − D).</summary>
        Tensor Margins(Tensor x) => MarginsAndHinge(x).Margins;

        /// <summary>Per disjunct: the margin (max over rows of C·y − D) and the sum of the rows' positive parts, both <c>[B, K]</c>.</summary>
        (Tensor Margins, Tensor Hinge) MarginsAndHinge(Tensor x)
        {
            var y = _g.Forward(x).reshape(x.shape[0], -1);          // [B, m]
            var rows = y.matmul(_c.t()) - _d;                        // [B, R]
            var cols = new Tensor[_k];
            var hinge = new Tensor[_k];
            for (int k = 0; k < _k; k++)
            {
                if (_rowsOf[k].numel() == 0)
                {
                    cols[k] = full(new long[] { x.shape[0] }, double.NegativeInfinity, dtype: _o.DType);   // empty conjunction: always unsafe
                    hinge[k] = zeros(new long[] { x.shape[0] }, dtype: _o.DType);
                    continue;
                }
                var mine = rows.index_select(1, _rowsOf[k]);         // [B, rows of k]
                cols[k] = mine.amax(new long[] { 1 });
                hinge[k] = nn.functional.relu(mine).sum(1);
            }
            return (stack(cols, 1), stack(hinge, 1));
        }

        /// <summary>Evaluates points without gradients; keeps the best as elite starts and reports violations.</summary>
        bool Sample(Tensor x)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var best = Margins(x).amin(new long[] { 1 });            // [B]
            return Consider(x, best);
        }

        bool Consider(Tensor x, Tensor margin)
        {
            var xs = x.to_type(ScalarType.Float64).data<double>().ToArray();
            var ms = margin.to_type(ScalarType.Float64).data<double>().ToArray();
            var order = Enumerable.Range(0, ms.Length).Where(i => !double.IsNaN(ms[i])).OrderBy(i => ms[i]).ToArray();
            _work.Points += ms.Length;
            if (order.Length > 0) _work.BestMargin = Math.Min(_work.BestMargin, ms[order[0]]);
            // Keep a few elite starts for the next rounds.
            foreach (var i in order.Take(4)) _elite.Add((xs.AsSpan(i * _n, _n).ToArray(), ms[i]));
            _elite.Sort((a, b) => a.Margin.CompareTo(b.Margin));
            if (_elite.Count > 16) _elite.RemoveRange(16, _elite.Count - 16);
            // Report the point only when it beats everything reported so far: violations get checked in order of depth, and a
            // violation that does not reproduce (float rounding) is followed by deeper ones rather than by look-alikes.
            if (order.Length > 0 && ms[order[0]] < _bestReported)
            {
                int i = order[0];
                _bestReported = ms[i];
                if (_report(new AttackCandidate(xs.AsSpan(i * _n, _n).ToArray(), _index, ms[i]))) return true;
            }
            return false;
        }

        /// <summary>One round: a batch of starts, each descending its target disjunct's margin.</summary>
        bool Pgd(Func<bool> outOfTime)
        {
            using var scope = NewDisposeScope();
            int b = _o.RestartsPerDisjunct * _k;
            var x = _lo + rand(new long[] { b, _n }, dtype: _o.DType, generator: _gen) * _width;      // [B, n]
            // Half of the starts: elite points, perturbed by a small uniform step.
            int fromElite = Math.Min(_elite.Count, b / 2);
            if (fromElite > 0)
            {
                var e = tensor(Enumerable.Range(0, fromElite).SelectMany(i => _elite[_rng.Next(_elite.Count)].X).ToArray(), new long[] { fromElite, _n }, dtype: _o.DType);
                var noise = (rand(new long[] { fromElite, _n }, dtype: _o.DType, generator: _gen) - 0.5) * _width * (2 * _o.InitialStep);
                x[TensorIndex.Slice(0, fromElite)] = torch.minimum(torch.maximum(e + noise, _lo), _hi);
            }
            var target = tensor(Enumerable.Range(0, b).Select(i => (long)(i % _k)).ToArray()).unsqueeze(1);     // [B, 1]
            for (int it = 0; it < _o.Iterations; it++)
            {
                // Every iteration: with many disjuncts the batch is large (32 rows per disjunct; 276 disjuncts on
                // ml4acopf's 300-bus net) and eight iterations took ten seconds past a one-second budget.
                if (outOfTime()) return false;
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                using var step = NewDisposeScope();
                var xv = x.detach().requires_grad_(true);
                var (margins, hinge) = MarginsAndHinge(xv);                                       // [B, K] each
                // The target disjunct's margin (its worst row) plus the sum of its violated rows' excess: the hinge
                // term moves every still-violated row at once instead of only the current worst one.
                var loss = (margins + hinge).gather(1, target).sum();
                loss.backward();
                using (no_grad())
                {
                    if (Consider(xv.detach(), margins.detach().amin(new long[] { 1 }))) return true;
                    double frac = _o.FinalStep + 0.5 * (_o.InitialStep - _o.FinalStep) * (1 + Math.Cos(Math.PI * it / Math.Max(1, _o.Iterations - 1)));
                    var grad = xv.grad ?? zeros_like(xv);
                    var next = xv.detach() - grad.sign() * _width * frac;
                    var old = x;
                    x = torch.minimum(torch.maximum(next, _lo), _hi).MoveToOuterDisposeScope();
                    old.Dispose();
                }
                _lastStep = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                _work.Steps++;
            }
            using (no_grad()) return Consider(x, Margins(x).amin(new long[] { 1 }));
        }
    }
}
