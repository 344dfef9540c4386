using System.Diagnostics;
using Certify.Bounds;
using Certify.Graph;
using Certify.Import;
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

    /// <summary>Run the PGD/sampling attack first (cheap, finds most sat answers before any bound is computed).</summary>
    public bool Attack { get; init; } = true;

    /// <summary>Share of the budget the first attack may use (capped at <see cref="AttackMaxTime"/>).</summary>
    public double AttackShare { get; init; } = 0.1;

    /// <summary>Upper limit of the first attack's time.</summary>
    public TimeSpan AttackMaxTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Schedule and work budget of the first attack (samples, rounds, iterations per round, restarts, seed); null means
    /// <see cref="AttackOptions"/>' defaults. Its <see cref="AttackOptions.TimeLimit"/> is ignored: the attack's time
    /// comes from <see cref="AttackShare"/> and <see cref="AttackMaxTime"/>. With a small <see cref="AttackOptions.MaxRounds"/>
    /// the attack ends by work rather than by time, so what it finds does not depend on the machine's speed (tests).
    /// </summary>
    public AttackOptions? AttackSchedule { get; init; }

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

    /// <summary>Share of the time left after the attack that branch and bound may use when the exact stage follows it.</summary>
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
    /// without trusting Certify's bound engine; null writes none. Only unsat answers proven by branch and bound with
    /// input splitting on chains of affine layers and ReLUs get one; any other unsat says why it is "not checkable"
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
/// Complete verification of a specification on a network: falsification first (PGD and sampling), then branch and bound
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
    /// is not used (the deadline is the budget: a caller that loads the model first makes it before loading). Each stage
    /// gets a sub-deadline that never ends later than it: the attack a share (<see cref="VerifierOptions.AttackShare"/>, at
    /// most <see cref="VerifierOptions.AttackMaxTime"/>), branch and bound a share of what is left when MILP follows
    /// (<see cref="VerifierOptions.BabShareBeforeMilp"/>), and MILP the rest, if at least <see cref="VerifierOptions.MilpMinTime"/>.
    /// </summary>
    public VerificationReport Run(Deadline deadline)
    {
        // Tensors that escape the stages' own scopes are freed here, on this thread, instead of by the GC's finalizer
        // thread while libtorch runs on this one: in runs of hundreds of instances in one process, that concurrency
        // corrupted libtorch's native memory (segfaults in copy_impl, "toFloat" errors); rl_benchmarks at 5 s crashed in 2
        // of 2 runs before, 0 of 5 after.
        using var scope = TorchSharp.torch.NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var steps = new List<string>();
        string? certificate = null;
        VerificationReport Done(Verdict v)
        {
            Log($"verdict: {v}");
            return new VerificationReport(v, clock.Elapsed, steps) { Certificate = v.Kind == VerdictKind.Unsat ? certificate : null };
        }
        void Step(string s) { steps.Add(s); Log(s); }
        var recorder = Options.Certificate is null ? null : StartCertificate(ref certificate);
        void WriteCertificate()
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
            WriteCertificate();
            return Done(Verdict.Unsat("the property's input regions are empty, so no input can violate it"));
        }

        if (Options.Attack)
        {
            var t = clock.Elapsed;
            var end = deadline.Share(Options.AttackShare).Within(Options.AttackMaxTime);
            var budget = end.Remaining;
            var sat = new PgdAttack((Options.AttackSchedule ?? new AttackOptions()) with { TimeLimit = Options.AttackMaxTime }).Falsify(_graph, _checker, end);
            Step($"attack (PGD + sampling, {budget.TotalSeconds:F1} s budget): {(sat is null ? "no counterexample" : "counterexample reproduced")} [{(clock.Elapsed - t).TotalSeconds:F2} s]");
            if (sat is not null) return Done(sat);
        }

        // Decided from the operators before any work: a network the exact back-ends cannot encode gives branch and bound all
        // of the time, instead of a share followed by seconds of big-M bounds for a model the encoder would refuse.
        bool exactStage = Options.Exact != ExactStage.None;
        if (exactStage && GraphEncoder.FirstUnencodable(_graph) is { } unencodable)
        {
            Step($"exact stage ({Options.Exact.ToString().ToUpperInvariant()}) skipped: {unencodable}");
            exactStage = false;
        }

        Verdict? pending = null;
        {
            var t = clock.Elapsed;
            var end = exactStage ? deadline.Share(Options.BabShareBeforeMilp) : deadline;
            if (end.IsPast) return Done(Verdict.Timeout("no time left for branch and bound"));
            var bab = new BranchAndBound(_graph, Options.Bab with { TimeLimit = null, Recorder = recorder ?? Options.Bab.Recorder });
            BabResult result;
            try { result = bab.Run(_spec, end); }
            catch (Certify.Operators.OperatorDomainException e)
            {
                // A bound rule refused a box outside its operator's domain (a divisor interval containing 0, ...). No exact
                // back-end encodes those operators either, so the run ends here with the rule's reason.
                Step($"branch and bound ({bab.Strategy}, {bab.MethodDescription}): bounds refused: {e.Message} [{(clock.Elapsed - t).TotalSeconds:F2} s]");
                return Done(Verdict.Unknown($"bounds refused: {e.Message}"));
            }
            Step($"branch and bound ({bab.Strategy}, {bab.MethodDescription}): {result.Status}; {result.Statistics} [{(clock.Elapsed - t).TotalSeconds:F2} s]");
            switch (result.Status)
            {
                case BabStatus.Verified:
                    if (certificate is null) WriteCertificate();
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
                default:
                    pending = Verdict.Unknown($"branch and bound stopped: {result.Status} ({result.Statistics})");
                    break;
            }
        }

        if (exactStage && !deadline.IsPast && deadline.Remaining >= Options.MilpMinTime)
        {
            var t = clock.Elapsed;
            var x = Options.ExactSettings;
            var backend = Options.ExactBackend ?? (Options.Exact == ExactStage.Smt ? new Z3Backend()
                : new MilpBackend { SolverId = x.MilpSolver, MaxBigM = x.MilpMaxBigM, EncodingWorkPerSecond = x.MilpEncodingWorkPerSecond });
            var exact = new ExactVerifier(backend, _checker) { RetryMargins = x.RetryMargins };
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
