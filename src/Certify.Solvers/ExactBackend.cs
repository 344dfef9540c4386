using Certify.Graph;
using Certify.Solvers.Encoding;
using Certify.Spec;

namespace Certify.Solvers;

/// <summary>What an exact back-end concluded about one input box and its unsafe condition.</summary>
public enum ExactStatus
{
    /// <summary>No input in the box reaches any unsafe disjunct (a proof, up to the solver's tolerances).</summary>
    Infeasible,
    /// <summary>The solver found an assignment; its input is a candidate counterexample that still has to be re-checked.</summary>
    Candidate,
    /// <summary>The back-end gave up (numerical trouble, solver error): no conclusion.</summary>
    Unknown,
    /// <summary>The time limit (or a cancellation) stopped the search: no conclusion.</summary>
    Timeout,
    /// <summary>The graph holds an op the back-end cannot encode exactly: no conclusion.</summary>
    NotSupported,
}

/// <summary>Result of <see cref="IExactBackend.FindViolation"/>.</summary>
/// <param name="Status">The conclusion.</param>
/// <param name="X">For <see cref="ExactStatus.Candidate"/>: the solver's input assignment (flat), not yet checked.</param>
/// <param name="Disjunct">For a candidate: the index of the unsafe disjunct it was found for.</param>
/// <param name="Detail">A readable explanation (solver status, unsupported node, …).</param>
public sealed record ExactOutcome(ExactStatus Status, double[]? X, int Disjunct, string Detail)
{
    public static ExactOutcome Infeasible(string detail) => new(ExactStatus.Infeasible, null, -1, detail);
    public static ExactOutcome Unknown(string detail) => new(ExactStatus.Unknown, null, -1, detail);
    public static ExactOutcome Timeout(string detail) => new(ExactStatus.Timeout, null, -1, detail);
    public static ExactOutcome NotSupported(string detail) => new(ExactStatus.NotSupported, null, -1, detail);
}

/// <summary>One exact query: a box, the unsafe condition that applies in it, and optional intermediate bounds.</summary>
/// <param name="Lower">Flat input lower bounds.</param>
/// <param name="Upper">Flat input upper bounds.</param>
/// <param name="Unsafe">Unsafe outputs (DNF); a violation is an input whose output satisfies some disjunct.</param>
/// <param name="Bounds">Valid bounds on intermediate nodes for this box (e.g. CROWN bounds, split bounds), or null for interval arithmetic only.</param>
/// <param name="RequiredMargin">
/// Asks for outputs at least this far inside every unsafe half-space (<c>C·y ≤ D − margin</c>). Zero for a proof; a
/// positive margin is used to look for a counterexample robust to float32 rounding, and then an
/// <see cref="ExactStatus.Infeasible"/> answer proves nothing about the original property.
/// </param>
public sealed record ExactQuery(double[] Lower, double[] Upper, OutputCondition Unsafe, IntermediateBounds? Bounds = null, double RequiredMargin = 0);

/// <summary>A complete decision procedure for a piecewise-linear network on a box (MILP, SMT).</summary>
public interface IExactBackend
{
    /// <summary>Short name used in verdicts, e.g. "MILP (SCIP)".</summary>
    string Name { get; }

    /// <summary>
    /// Searches for an input in the box whose output satisfies some disjunct of the unsafe condition. Never throws for
    /// solver trouble or unsupported ops: those come back as <see cref="ExactStatus.Unknown"/> or
    /// <see cref="ExactStatus.NotSupported"/>. Stops with <see cref="ExactStatus.Timeout"/> when <paramref name="deadline"/>
    /// passes: the solver's own time limit is the time remaining at the moment it starts, and set-up work before it (model
    /// building) checks the deadline too.
    /// </summary>
    ExactOutcome FindViolation(ComputationGraph graph, ExactQuery query, Deadline deadline);

    /// <summary>
    /// The least time a query on <paramref name="graph"/> needs before its solver can start: work that checks no
    /// deadline, such as MILP's encoding; the back-end refuses to start with less time left. A run compares it with the
    /// time it would keep for the exact stage <em>before</em> branch and bound; when it does not fit, branch and bound
    /// keeps no time back (the stage still runs after it if it ends early with enough left). (On verivital's avgpool CNN, branch and bound stopped at 70% of 300 s
    /// to keep 90 s for a MILP stage whose encoding was estimated at 296 s; that stage was then skipped, and the 90 s
    /// were lost.) Zero when the back-end knows no such cost.
    /// </summary>
    TimeSpan SetupTime(ComputationGraph graph) => TimeSpan.Zero;
}

/// <summary>Conveniences over <see cref="IExactBackend"/>.</summary>
public static class ExactBackendExtensions
{
    /// <summary><see cref="IExactBackend.FindViolation"/> with a time limit from now (and an optional cancellation).</summary>
    public static ExactOutcome FindViolation(this IExactBackend backend, ComputationGraph graph, ExactQuery query, TimeSpan timeLimit, CancellationToken cancel = default) =>
        backend.FindViolation(graph, query, Deadline.After(timeLimit, cancel));
}
