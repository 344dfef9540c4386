using System.Diagnostics;
using Certify.Bounds;
using Certify.Graph;
using Certify.Import;
using Certify.Runtime;
using Certify.Solvers;
using Certify.Solvers.Encoding;
using Certify.Solvers.Milp;
using Certify.Solvers.Smt;
using Certify.Spec;
using Certify.Verification.Attack;
using Certify.Verification.Proofs;
using Certify.Verification.Search;

namespace Certify.Verification;

/// <summary>Settings of a complete verification run (see <see cref="Verifier"/>).</summary>
public sealed record VerifierOptions
{
    /// <summary>
    /// Wall-clock budget for the whole run, attack included; <see cref="Verifier.Verify"/> counts loading in it and
    /// <see cref="Verifier.Run(CancellationToken)"/> starts it then. <see cref="Verifier.Run(Deadline)"/> takes a deadline instead.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Run the PGD/sampling attacks: the short one (<see cref="CheapAttack"/>) before the root bounds and the full one
    /// (<see cref="AttackSchedule"/>) after them when they did not prove the property.
    /// </summary>
    public bool Attack { get; init; } = true;

    /// <summary>
    /// Share of the budget (at the start of the run) that each attack may use, capped at <see cref="AttackMaxTime"/>; the full
    /// attack after unproven root bounds gets a fraction of that cap (<see cref="AttackScaleFloor"/>).
    /// </summary>
    public double AttackShare { get; init; } = 0.1;

    /// <summary>Upper limit of each attack's time.</summary>
    public TimeSpan AttackMaxTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Schedule and work budget of the full attack (samples, rounds, iterations per round, restarts, seed; the short attack
    /// is this schedule cut down by <see cref="CheapAttack"/>); null means
    /// <see cref="AttackOptions"/>' defaults. Its <see cref="AttackOptions.TimeLimit"/> is ignored: the attack's time
    /// comes from <see cref="AttackShare"/>, <see cref="AttackMaxTime"/> and <see cref="AttackScaleFloor"/>. With a small <see cref="AttackOptions.MaxRounds"/>
    /// the attack ends by work rather than by time, so what it finds does not depend on the machine's speed (tests).
    /// </summary>
    public AttackOptions? AttackSchedule { get; init; }

    /// <summary>
    /// The short attack before any bound: the full schedule (<see cref="AttackSchedule"/>) cut to a few samples, restarts
    /// and steps, so that it ends by work. It runs when <see cref="Attack"/> is on, within the same time cap as the full
    /// attack (<see cref="AttackShare"/>, <see cref="AttackMaxTime"/>).
    /// </summary>
    public CheapAttackOptions CheapAttack { get; init; } = new();

    /// <summary>
    /// Bound the root of every region (CROWN, then alpha-CROWN with <see cref="RootAlphaIterations"/>) after the cheap
    /// attack and before the full one. A property the root bounds prove is answered without the full attack (the README's
    /// first example: 5 s of attack before, a 0.15 s CROWN proof); one they do not prove tells how much attack it is worth
    /// (<see cref="AttackScaleFloor"/>). False restores the old order: no short attack and no root bounds, the full attack
    /// with its whole cap first, then branch and bound.
    /// </summary>
    public bool RootBoundsFirst { get; init; } = true;

    /// <summary>Adam iterations of the root's alpha-CROWN bound after CROWN did not prove it; 0 skips that bound.</summary>
    public int RootAlphaIterations { get; init; } = 20;

    /// <summary>
    /// Share of the time left that each root bound (CROWN, then alpha-CROWN) may use; at its end the bound stops with
    /// sound, looser bounds (its refinement and optimisation watch the deadline), so one huge network cannot spend the
    /// run's budget on its root.
    /// </summary>
    public double RootBoundsShare { get; init; } = 0.2;

    /// <summary>
    /// Smallest fraction of the full attack's time cap (<see cref="AttackShare"/>, <see cref="AttackMaxTime"/>) that the
    /// full attack gets after root bounds that did not prove the property. The fraction is
    /// <c>|L| / (m + |L|)</c> for the root's worst bound margin <c>L &lt; 0</c> and the cheap attack's best margin
    /// <c>m &gt; 0</c>: the true smallest margin lies in <c>[L, m]</c>, and the fraction is the part of that interval
    /// below 0, i.e. how likely a counterexample looks. Close to 1 (the attack came near 0 while the bound is far off)
    /// keeps the whole cap; a bound just short of a proof with an attack far from 0 cuts it to this floor. Without a root
    /// bound or an attack margin the full cap is used. 1 never cuts.
    /// </summary>
    public double AttackScaleFloor { get; init; } = 0.25;

    /// <summary>
    /// libtorch intra-op threads during the run: null chooses them (<see cref="ThreadPolicy"/>: the <c>CERTIFY_THREADS</c>
    /// environment variable if set, else from the work and the machine's load); a number fixes them. The count found
    /// before the run is restored after it.
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>The rule that chooses the thread count when <see cref="Threads"/> is null.</summary>
    public ThreadPolicy ThreadPolicy { get; init; } = new();

    /// <summary>Branch and bound settings (strategy, batch size, bound method, dtype); its time limit is set by the verifier.</summary>
    public BabOptions Bab { get; init; } = new();

    /// <summary>
    /// The exact back-end that closes what branch and bound leaves open when time remains: MILP (OR-Tools SCIP, the
    /// default), SMT (Z3, exact rational arithmetic; for small networks) or none. A network with an operator that has no
    /// exact piecewise-linear encoding (Sigmoid, Softmax, ...) skips the stage at once, and branch and bound gets its time.
    /// </summary>
    public ExactStage Exact { get; init; } = ExactStage.Milp;

    /// <summary>Settings of the exact back-ends (MILP solver and guards, retry margins); used when <see cref="ExactBackend"/> is null.</summary>
    public ExactOptions ExactSettings { get; init; } = new();

    /// <summary>Share of the time left after the attack that branch and bound may use when the exact stage follows it (all of it
    /// when the rest would not cover the exact back-end's set-up, <see cref="IExactBackend.SetupTime"/>).</summary>
    public double BabShareBeforeMilp { get; init; } = 0.7;

    /// <summary>
    /// The MILP stage starts only with at least this much time left (building and presolving a model takes about that
    /// long on small networks; less is wasted). It never gets more than what remains of the run's deadline.
    /// </summary>
    public TimeSpan MilpMinTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A back-end instance for the exact stage that replaces the one <see cref="Exact"/> names (tests use fakes); ignored
    /// when <see cref="Exact"/> is <see cref="ExactStage.None"/>.
    /// </summary>
    public IExactBackend? ExactBackend { get; init; }

    /// <summary>Progress messages (stage names and results) for a CLI or log.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Write a certificate of an unsat answer (<c>specs/certificate.md</c>) that <c>certify check-certificate</c> checks
    /// without trusting Certify's bound engine; null writes none. Unsat answers proven by the root bounds or by branch and
    /// bound (input and neuron splits) on DAGs of affine layers, convolutions, residual sums, AvgPool, Pad, Concat, ReLU,
    /// LeakyReLU, Sigmoid and MaxPool get one; any
    /// other unsat (the exact back-ends, operators the checker has no rule for) says why it is "not checkable"
    /// (<see cref="VerificationReport.Certificate"/>). Recording costs memory per closed sub-problem, not search time.
    /// </summary>
    public CertificateRequest? Certificate { get; init; }
}

/// <summary>Where to write a certificate and which files it is bound to (their SHA-256 goes into it).</summary>
/// <param name="Path">The certificate file (JSON; gzip when it ends in .gz).</param>
/// <param name="ModelPath">The network file verified.</param>
/// <param name="PropertyPath">The property file verified.</param>
/// <param name="MaxLeaves">Most leaves recorded; a larger proof is "not checkable".</param>
public sealed record CertificateRequest(string Path, string ModelPath, string PropertyPath, long MaxLeaves = 200_000);

/// <summary>The exact back-end of a verification run's last stage (<c>verify --exact milp|smt|none</c>).</summary>
public enum ExactStage
{
    /// <summary>No exact stage: branch and bound gets all the time.</summary>
    None,
    /// <summary>Mixed-integer linear programming with OR-Tools' SCIP, big-M on CROWN intermediate bounds.</summary>
    Milp,
    /// <summary>Satisfiability modulo linear real arithmetic with Z3, on the exact rationals of the weights.</summary>
    Smt,
}

/// <summary>What a run concluded and how it got there.</summary>
/// <param name="Verdict">unsat / sat (re-checked) / unknown / timeout.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
/// <param name="Steps">One line per stage that ran: what it found and how long it took.</param>
public sealed record VerificationReport(Verdict Verdict, TimeSpan Elapsed, IReadOnlyList<string> Steps)
{
    /// <summary>The VNN-COMP result status of the verdict.</summary>
    public ResultStatus Status => Verdict.Kind switch
    {
        VerdictKind.Unsat => ResultStatus.Unsat,
        VerdictKind.Sat => ResultStatus.Sat,
        VerdictKind.Timeout => ResultStatus.Timeout,
        _ => ResultStatus.Unknown,
    };

    /// <summary>Writes the VNN-COMP result file (with the counterexample for sat).</summary>
    /// <summary>
    /// With <see cref="VerifierOptions.Certificate"/> and an unsat verdict: "written: FILE (N leaves)" or
    /// "not checkable: why"; null otherwise.
    /// </summary>
    public string? Certificate { get; init; }

    public void WriteResultFile(string path) =>
        ResultFile.Write(path, Status, Verdict.Counterexample?.X, Verdict.Counterexample?.Y);
}

/// <summary>
/// Complete verification of a specification on a network: a short attack, bounds on the root (CROWN, alpha-CROWN), the
/// full attack (PGD and sampling) when they did not prove it, then branch and bound
/// on CROWN / alpha-CROWN bounds (input splits for low-dimensional inputs, neuron splits on any branchable nonlinearity otherwise), then the MILP back-end
/// for what is left. Every sat answer is re-run on the reference model (ONNX Runtime for ONNX files) before it is
/// reported; unsat comes only from a bound proof over every sub-domain or an exact back-end's infeasibility.
/// <code>
/// var report = Verifier.Verify("net.onnx", "prop.vnnlib", new VerifierOptions { Timeout = TimeSpan.FromSeconds(60) });
/// Console.WriteLine(report.Verdict);
/// </code>
/// </summary>
public sealed class Verifier
{
    readonly ComputationGraph _graph;
    readonly Specification _spec;
    readonly CounterexampleChecker _checker;

    /// <summary>Prepares a run; <paramref name="reference"/> re-runs candidate counterexamples (the original network).</summary>
    /// <exception cref="ArgumentException">when the property's variable counts do not match the network.</exception>
    public Verifier(ComputationGraph graph, Specification spec, IReferenceModel reference, VerifierOptions? options = null)
    {
        if (spec.InputSize != graph.InputSize)
            throw new ArgumentException($"{spec.Source ?? "property"} declares {spec.InputSize} inputs (X_i) but {graph.Source ?? "the network"} takes {graph.InputSize}");
        if (spec.OutputSize != graph.OutputSize)
            throw new ArgumentException($"{spec.Source ?? "property"} declares {spec.OutputSize} outputs (Y_i) but {graph.Source ?? "the network"} has {graph.OutputSize}");
        _graph = graph;
        _spec = spec;
        _checker = new CounterexampleChecker(reference, spec);
        Options = options ?? new VerifierOptions();
    }

    /// <summary>The settings.</summary>
    public VerifierOptions Options { get; }

    /// <summary>
    /// Loads <paramref name="modelPath"/> (.onnx, or .nnet) and <paramref name="vnnlibPath"/> and verifies. For ONNX the
    /// reference model is ONNX Runtime on the same file; a .nnet network has no independent runtime, so its candidates
    /// are re-run on the graph in float64.
    /// </summary>
    public static VerificationReport Verify(string modelPath, string vnnlibPath, VerifierOptions? options = null, CancellationToken cancel = default)
    {
        // Every tensor of this verification, the network's included, is freed here on this thread when it ends (see Run).
        using var scope = TorchSharp.torch.NewDisposeScope();
        var opts = options ?? new VerifierOptions();
        // Loading (import, ONNX Runtime session) counts against the budget, as it does in VNN-COMP: the deadline starts now.
        var deadline = Deadline.After(opts.Timeout, cancel);
        var graph = LoadModel(modelPath);
        var spec = VnnLibParser.Parse(vnnlibPath);
        using var reference = ReferenceFor(modelPath, graph);
        return new Verifier(graph, spec, (IReferenceModel)reference, opts).Run(deadline);
    }

    /// <summary>Reads an ONNX or NNet network by its extension.</summary>
    public static ComputationGraph LoadModel(string path) =>
        path.EndsWith(".nnet", StringComparison.OrdinalIgnoreCase) ? NNetReader.Read(path) : OnnxImporter.Import(path);

    /// <summary>The reference model that re-checks counterexamples for a model file.</summary>
    public static IDisposable ReferenceFor(string path, ComputationGraph graph) =>
        path.EndsWith(".nnet", StringComparison.OrdinalIgnoreCase) ? new GraphReferenceModel(graph) : new OnnxReferenceModel(path);

    /// <summary>Runs the stages until one of them decides or <see cref="VerifierOptions.Timeout"/> (from now) ends.</summary>
    public VerificationReport Run(CancellationToken cancel = default) => Run(Deadline.After(Options.Timeout, cancel));

    /// <summary>
    /// Runs the stages until one of them decides or <paramref name="deadline"/> passes; <see cref="VerifierOptions.Timeout"/>
    /// is not used (the deadline is the budget: a caller that loads the model first makes it before loading). The stages,
    /// cheapest first:
    /// <list type="number">
    /// <item>the cheap attack (<see cref="VerifierOptions.CheapAttack"/>: a few samples and steps, ended by work);</item>
    /// <item>root bounds (<see cref="VerifierOptions.RootBoundsFirst"/>): CROWN, then alpha-CROWN, on each region's whole
    /// box, through branch and bound held to one sub-problem so that the float32 margin, the float64 re-check of close
    /// calls and the outward rounding of the box are the search's own;</item>
    /// <item>the full attack (<see cref="VerifierOptions.AttackSchedule"/>), its time cap scaled by how likely a
    /// counterexample looks from the root bound and the cheap attack (<see cref="VerifierOptions.AttackScaleFloor"/>);</item>
    /// <item>branch and bound, with its own sampling of every open sub-problem;</item>
    /// <item>the exact back-end.</item>
    /// </list>
    /// Each stage gets a sub-deadline that never ends later than it: the attacks a share
    /// (<see cref="VerifierOptions.AttackShare"/>, at most <see cref="VerifierOptions.AttackMaxTime"/>), each root bound
    /// <see cref="VerifierOptions.RootBoundsShare"/> of what is left, branch and bound a share of what is left when MILP
    /// follows (<see cref="VerifierOptions.BabShareBeforeMilp"/>; all of it when the rest could not cover the back-end's
    /// <see cref="IExactBackend.SetupTime"/>), and MILP the rest, if at least <see cref="VerifierOptions.MilpMinTime"/>. libtorch's thread count is chosen for the run
    /// (<see cref="VerifierOptions.Threads"/>) and restored after it.
    /// </summary>
    public VerificationReport Run(Deadline deadline)
    {
        // Tensors that escape the stages' own scopes are freed here, on this thread, instead of by the GC's finalizer
        // thread while libtorch runs on this one: in runs of hundreds of instances in one process, that concurrency
        // corrupted libtorch's native memory (segfaults in copy_impl, "toFloat" errors); rl_benchmarks at 5 s crashed in 2
        // of 2 runs before, 0 of 5 after.
        using var scope = TorchSharp.torch.NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var threads = Options.ThreadPolicy.ChooseHere(ThreadWork(), Options.Threads);
        using var threadScope = ThreadPolicy.Apply(threads);
        Log($"threads: {threads}");
        var steps = new List<string>();
        string? certificate = null;
        VerificationReport Done(Verdict v)
        {
            Log($"verdict: {v}");
            return new VerificationReport(v, clock.Elapsed, steps) { Certificate = v.Kind == VerdictKind.Unsat ? certificate : null };
        }
        void Step(string s) { steps.Add(s); Log(s); }
        CertificateRecorder? NewRecorder() => Options.Certificate is null ? null : StartCertificate(ref certificate);
        void WriteCertificate(CertificateRecorder? recorder)
        {
            if (recorder is null || Options.Certificate is not { } request) return;
            try
            {
                recorder.Build(request.ModelPath, request.PropertyPath).Save(request.Path);
                certificate = $"written: {request.Path} ({recorder.Leaves} leaves)";
            }
            catch (NotCheckableException e) { certificate = e.Message; }
            Step("certificate " + certificate);
        }

        if (_spec.Regions.Count == 0)
        {
            Step("property: every input region is empty");
            WriteCertificate(NewRecorder());
            return Done(Verdict.Unsat("the property's input regions are empty, so no input can violate it"));
        }

        // Decided from the operators before any work: a network the exact back-ends cannot encode gives branch and bound all
        // of the time, instead of a share followed by seconds of big-M bounds for a model the encoder would refuse.
        bool exactStage = Options.Exact != ExactStage.None;
        if (exactStage && GraphEncoder.FirstUnencodable(_graph) is { } unencodable)
        {
            Step($"exact stage ({Options.Exact.ToString().ToUpperInvariant()}) skipped: {unencodable}");
            exactStage = false;
        }

        // The attacks' time cap, fixed now: the cheap attack may use it, and the full attack gets it scaled by how likely a
        // counterexample looks after the root bounds.
        var attackCap = deadline.Share(Options.AttackShare).Within(Options.AttackMaxTime).Remaining;
        var schedule = Options.AttackSchedule ?? new AttackOptions();
        AttackOutcome? cheap = null;
        bool cheapWasAll = false;
        if (Options.Attack && Options.CheapAttack.Enabled && Options.RootBoundsFirst)
        {
            var t = clock.Elapsed;
            var cut = Options.CheapAttack.Limit(schedule) with { TimeLimit = attackCap };
            var end = deadline.Within(attackCap);
            cheap = new PgdAttack(cut).Attack(_graph, _checker, end);
            // The same schedule as the full attack and not stopped by time: the full attack would repeat it point for point.
            cheapWasAll = cut with { TimeLimit = schedule.TimeLimit } == schedule && !end.IsPast;
            Step($"attack, cheap (PGD + sampling, {cheap.WorkText}): {AttackResult(cheap)} [{(clock.Elapsed - t).TotalSeconds:F2} s]");
            if (cheap.Sat is not null) return Done(cheap.Sat);
        }

        double? rootMargin = null;
        // The root stage's unproven roots, handed to branch and bound so that it does not bound them again.
        using var roots = new RootBounds();
        if (Options.RootBoundsFirst)
        {
            var root = RootBounds(deadline, NewRecorder, Step, clock, roots);
            if (root.Verdict is { } decided)
            {
                if (decided.Kind == VerdictKind.Unsat) WriteCertificate(root.Recorder);
                return Done(decided);
            }
            rootMargin = root.WorstMargin;
        }

        if (Options.Attack && !cheapWasAll)
        {
            var t = clock.Elapsed;
            double scale = AttackScale(rootMargin, cheap?.BestMargin);
            var cap = scale < 1 ? TimeSpan.FromTicks((long)(attackCap.Ticks * scale)) : attackCap;
            var end = deadline.Within(cap);
            var budget = end.Remaining;
            var full = new PgdAttack(schedule with { TimeLimit = cap }).Attack(_graph, _checker, end);
            var scaled = scale < 1 ? $", {scale * 100:F0}% of {attackCap.TotalSeconds:F1} s after the root bound" : "";
            Step($"attack (PGD + sampling, {budget.TotalSeconds:F1} s budget{scaled}; {full.WorkText}): {AttackResult(full)} [{(clock.Elapsed - t).TotalSeconds:F2} s]");
            if (full.Sat is not null) return Done(full.Sat);
        }

        // The exact back-end, chosen now: when the time branch and bound would leave it cannot cover its set-up (MILP's
        // uninterruptible encoding of a big CNN), branch and bound gets all of the time. The stage still runs after it if
        // branch and bound ends early (a domain limit) with enough time left.
        IExactBackend? backend = exactStage ? ExactBackendFor(Options) : null;
        bool keepTimeForExact = backend is not null;
        if (backend is not null && deadline.HasTimeLimit && backend.SetupTime(_graph) is var setup && setup > TimeSpan.Zero)
        {
            var kept = deadline.Remaining * (1 - Math.Clamp(Options.BabShareBeforeMilp, 0, 1));
            if (kept < setup)
            {
                Step($"branch and bound gets all of the time: the exact stage ({backend.Name}) needs about {setup.TotalSeconds:F1} s to set up, more than the {kept.TotalSeconds:F1} s it would be kept");
                keepTimeForExact = false;
            }
        }

        Verdict? pending = null;
        CertificateRecorder? recorder = null;
        {
            var t = clock.Elapsed;
            var end = keepTimeForExact ? deadline.Share(Options.BabShareBeforeMilp) : deadline;
            if (end.IsPast) return Done(Verdict.Timeout("no time left for branch and bound"));
            recorder = NewRecorder();
            var bab = new BranchAndBound(_graph, Options.Bab with { TimeLimit = null, Recorder = recorder ?? Options.Bab.Recorder });
            BabResult result;
            try { result = bab.Run(_spec, end, roots); }
            catch (Certify.Operators.OperatorDomainException e)
            {
                // A bound rule refused a box outside its operator's domain (a divisor interval containing 0, ...). No exact
                // back-end encodes those operators either, so the run ends here with the rule's reason.
                Step($"branch and bound ({bab.Strategy}, {bab.MethodDescription}): bounds refused: {e.Message} [{(clock.Elapsed - t).TotalSeconds:F2} s]");
                return Done(Verdict.Unknown($"bounds refused: {e.Message}"));
            }
            foreach (var r in bab.Refinements) Step($"intermediate bounds refined by LP before branching: {r}");
            Step($"branch and bound ({bab.Strategy}, {bab.MethodDescription}): {result.Status}; {result.Statistics} [{(clock.Elapsed - t).TotalSeconds:F2} s]");
            switch (result.Status)
            {
                case BabStatus.Verified:
                    if (certificate is null) WriteCertificate(recorder);
                    return Done(Verdict.Unsat(result.Statistics.DomainsBounded <= _spec.Regions.Count
                        ? $"bounds ({BoundOptions.MethodName(bab.Method)}) refute every unsafe disjunct"
                        : $"branch and bound: {result.Statistics.DomainsBounded} sub-domains bounded, all safe"));
                case BabStatus.Candidate:
                {
                    var check = _checker.Check(result.Candidate!.Input);
                    Step($"candidate from branch and bound: {(check.Confirmed ? "reproduced" : "did not reproduce: " + check.Detail)}");
                    if (check.Confirmed) return Done(check.Verdict!);
                    pending = Verdict.Unknown("branch and bound's candidate did not reproduce on the reference model");
                    break;
                }
                case BabStatus.Timeout:
                    pending = Verdict.Timeout($"branch and bound did not finish ({result.Statistics})");
                    break;
                case BabStatus.MemoryLimit:
                    pending = Verdict.Unknown($"branch and bound stopped at its memory limit: the open sub-problems would outgrow branch_and_bound.queue_memory_share of the memory available ({result.Statistics})");
                    break;
                default:
                    pending = Verdict.Unknown($"branch and bound stopped: {result.Status} ({result.Statistics})");
                    break;
            }
        }

        if (backend is not null && !deadline.IsPast && deadline.Remaining >= Options.MilpMinTime)
        {
            var t = clock.Elapsed;
            var exact = new ExactVerifier(backend, _checker) { RetryMargins = Options.ExactSettings.RetryMargins };
            // The back-end gets the run's own deadline (not a span measured now), so the CROWN bounds for its big-M
            // constants and its model building come out of the same budget as its solver.
            var v = exact.Verify(_graph, deadline, (r, d) => CrownBounds(_spec.Regions[r], d));
            Step($"{backend.Name}, on CROWN intermediate bounds: {v} [{(clock.Elapsed - t).TotalSeconds:F2} s]");
            if (v.Kind == VerdictKind.Unsat && recorder is not null && certificate is null)
                certificate = $"not checkable: proven by the {backend.Name} back-end, whose proofs the checker does not read";
            if (v.Kind is VerdictKind.Unsat or VerdictKind.Sat) return Done(v);
            pending = v.Kind == VerdictKind.Timeout ? Verdict.Timeout("branch and bound and MILP ran out of time") : v;
        }
        if (deadline.IsPast) return Done(Verdict.Timeout("time limit reached"));
        return Done(pending ?? Verdict.Unknown("no stage decided the property"));
    }

    /// <summary>The exact stage's back-end: the one the options carry (tests' fakes), else the one <see cref="VerifierOptions.Exact"/> names.</summary>
    static IExactBackend ExactBackendFor(VerifierOptions options)
    {
        var x = options.ExactSettings;
        return options.ExactBackend ?? (options.Exact == ExactStage.Smt ? new Z3Backend()
            : new MilpBackend { SolverId = x.MilpSolver, MaxBigM = x.MilpMaxBigM, EncodingWorkPerSecond = x.MilpEncodingWorkPerSecond });
    }

    /// <summary>What the root bounds decided (sat, unsat, or nothing), with the certificate recorder of an unsat proof.</summary>
    /// <param name="Verdict">Sat (reproduced) or unsat; null when undecided.</param>
    /// <param name="Recorder">The certificate recorder of the stage that proved unsat, or null.</param>
    /// <param name="WorstMargin">Undecided: the root's worst margin (see <see cref="BabStatistics.WorstBound"/>), or null when unknown.</param>
    sealed record RootOutcome(Verdict? Verdict, CertificateRecorder? Recorder, double? WorstMargin);

    /// <summary>
    /// CROWN, then (unless it proved every region, <see cref="VerifierOptions.RootAlphaIterations"/> is 0, or the search was
    /// given CROWN or IBP as its method, which the root then uses alone) alpha-CROWN on
    /// each region's root box. Each runs as branch and bound with input splitting held to one sub-problem per region, so
    /// that a proof is exactly as sound as one of the search (float32 margin, float64 re-check of close calls, the box
    /// rounded outward) and gets a certificate the same way; input splitting because the root of any strategy is the box
    /// itself, and bisecting it (what happens to an unproven root before the limit stops the run) costs nothing, while a
    /// neuron split would cost branching passes. A candidate from the root's sampling is re-checked like any other.
    /// </summary>
    /// <para>Each unproven root's bounds are left in <paramref name="keep"/> (the last method's, alpha-CROWN when it ran), from
    /// which the main search starts instead of bounding the root again (<see cref="Search.RootBounds"/>).</para>
    RootOutcome RootBounds(Deadline deadline, Func<CertificateRecorder?> newRecorder, Action<string> step, Stopwatch clock, RootBounds keep)
    {
        double? worst = null;
        // A method the user chose for the search (--method crown, ibp) is the root's too: alpha-CROWN's optimised
        // parameters are not what was asked for (and a certificate cannot carry all of them: MaxPool's window weights).
        var methods = Options.Bab.Method is BoundMethod.Crown or BoundMethod.Ibp ? new[] { Options.Bab.Method.Value }
            : Options.RootAlphaIterations > 0 ? new[] { BoundMethod.Crown, BoundMethod.AlphaCrown } : new[] { BoundMethod.Crown };
        foreach (var method in methods)
        {
            if (deadline.IsPast) break;
            var t = clock.Elapsed;
            var name = method == BoundMethod.AlphaCrown ? $"alpha-crown, {Options.RootAlphaIterations} iterations" : BoundOptions.MethodName(method);
            var recorder = newRecorder();
            var end = deadline.Share(Options.RootBoundsShare);
            BranchAndBound bab;
            try
            {
                bab = new BranchAndBound(_graph, Options.Bab with
                {
                    Strategy = SplitStrategy.InputSplit, Method = method, AlphaIterations = Math.Max(1, Options.RootAlphaIterations),
                    MaxDomains = 1, TimeLimit = null, Recorder = recorder, Progress = null,
                });
            }
            catch (NotSupportedException e)
            {
                step($"root bounds skipped: {e.Message}");
                return new RootOutcome(null, null, null);
            }
            var proven = 0;
            for (int r = 0; r < _spec.Regions.Count; r++)
            {
                BabResult result;
                try { result = bab.Run(_spec.Regions[r], end, r, keep); }
                catch (Certify.Operators.OperatorDomainException e)
                {
                    // Branch and bound reports the refusal with its reason; the root stage only makes way for it.
                    step($"root bounds ({name}): bounds refused: {e.Message} [{(clock.Elapsed - t).TotalSeconds:F2} s]");
                    return new RootOutcome(null, null, null);
                }
                switch (result.Status)
                {
                    case BabStatus.Verified:
                        proven++;
                        continue;
                    case BabStatus.Candidate:
                    {
                        var check = _checker.Check(result.Candidate!.Input);
                        step($"root bounds ({name}): candidate {(check.Confirmed ? "reproduced" : "did not reproduce: " + check.Detail)} [{(clock.Elapsed - t).TotalSeconds:F2} s]");
                        return new RootOutcome(check.Confirmed ? check.Verdict : null, null, null);
                    }
                    default:
                        worst = result.Statistics.WorstBound;
                        break;
                }
                break;
            }
            if (proven == _spec.Regions.Count)
            {
                step($"root bounds ({name}): proved [{(clock.Elapsed - t).TotalSeconds:F2} s]");
                return new RootOutcome(Verdict.Unsat($"bounds ({BoundOptions.MethodName(method)}) refute every unsafe disjunct"), recorder, null);
            }
            step($"root bounds ({name}): not proved ({proven} of {_spec.Regions.Count} regions; worst margin {worst:G4}) [{(clock.Elapsed - t).TotalSeconds:F2} s]");
        }
        return new RootOutcome(null, null, worst);
    }

    /// <summary>
    /// The fraction of the attack's time cap for the full attack (<see cref="VerifierOptions.AttackScaleFloor"/>): the part
    /// below 0 of the interval <c>[rootMargin, attackMargin]</c> that holds the true smallest margin, at least the floor;
    /// 1 when either end is unknown or not on its side of 0.
    /// </summary>
    public static double AttackScale(double? rootMargin, double? attackMargin, double floor)
    {
        if (rootMargin is not { } l || attackMargin is not { } m) return 1;
        if (!double.IsFinite(l) || !double.IsFinite(m) || m <= 0) return 1;
        if (l >= 0) return Math.Clamp(floor, 0, 1);                    // a bound within the float32 margin of a proof
        return Math.Clamp(-l / (m - l), Math.Clamp(floor, 0, 1), 1);
    }

    double AttackScale(double? rootMargin, double? attackMargin) => AttackScale(rootMargin, attackMargin, Options.AttackScaleFloor);

    static string AttackResult(AttackOutcome o) => o.Sat is null ? "no counterexample" : "counterexample reproduced";

    /// <summary>
    /// The size of the run's tensors for <see cref="ThreadPolicy"/>: a full batch of branch and bound
    /// (<see cref="BabOptions.BatchSize"/>) times the widest node's elements per sample.
    /// </summary>
    long ThreadWork() => (long)Math.Min(long.MaxValue / 2, (double)Options.Bab.BatchSize * _graph.Nodes.Max(n => n.Size));

    /// <summary>A recorder for the certificate, or null (with the reason in <paramref name="note"/>) when the network is not checkable.</summary>
    CertificateRecorder? StartCertificate(ref string? note)
    {
        if (CheckerInputs.NotCheckable(_graph) is { } why) { note = why; return null; }
        return new CertificateRecorder(_graph, _spec, Options.Certificate!.MaxLeaves);
    }

    /// <summary>
    /// CROWN bounds of every node over a region's box, widened for float32 rounding, for the MILP's big-M constants. At
    /// <paramref name="deadline"/> the refinement stops (the remaining neurons keep interval bounds, still sound).
    /// </summary>
    IntermediateBounds? CrownBounds(InputRegion region, Deadline deadline)
    {
        try
        {
            var engine = new BoundEngine(_graph, new BoundOptions { Method = BoundMethod.Crown });
            using var r = engine.Compute(region, new SubproblemInputs { OptimiseUntil = deadline });
            return IntermediateBounds.FromBoundResult(r);
        }
        catch (NotSupportedException)
        {
            return null; // the MILP back-end then derives its own interval bounds
        }
    }

    void Log(string message) => Options.Log?.Invoke(message);
}

/// <summary>
/// A reference model that runs the graph itself in float64: used only where no independent runtime exists (.nnet files).
/// </summary>
public sealed class GraphReferenceModel(ComputationGraph graph) : IReferenceModel, IDisposable
{
    readonly ComputationGraph _g = graph.To(TorchSharp.torch.ScalarType.Float64);

    public string Description => "Certify graph (float64): " + (graph.Source is null ? "network" : Path.GetFileName(graph.Source));

    public double[] Run(double[] x)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var y = _g.Forward(TorchSharp.torch.tensor(x, dtype: TorchSharp.torch.ScalarType.Float64).unsqueeze(0));
        return y.reshape(-1).data<double>().ToArray();
    }

    public void Dispose() { }
}
