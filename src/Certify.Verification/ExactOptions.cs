namespace Certify.Verification;

/// <summary>
/// Settings of the exact back-ends of a verification's last stage (<see cref="VerifierOptions.Exact"/> picks which one
/// runs): the MILP back-end's solver and numeric guards, and the margins with which a solver's candidate that did not
/// reproduce is searched again. They live in one record so that a configuration file (<c>specs/config.md</c>, section
/// <c>exact</c>) reaches them without the verifier exposing its back-end objects.
/// </summary>
public sealed record ExactOptions
{
    /// <summary>OR-Tools MILP solver id of the MILP back-end; "SCIP" (the one Certify is tested with).</summary>
    public string MilpSolver { get; init; } = "SCIP";

    /// <summary>
    /// Largest big-M constant the MILP back-end accepts; beyond it the solver's tolerances could move a ReLU output by
    /// more than the property's slack, so such a query answers unknown (see <see cref="Certify.Solvers.Milp.MilpBackend.MaxBigM"/>).
    /// </summary>
    public double MilpMaxBigM { get; init; } = 1e6;

    /// <summary>
    /// Encoding speed the MILP back-end assumes when deciding whether a query can start before the deadline (work units
    /// per second, see <see cref="Certify.Solvers.Milp.MilpBackend.EncodingWorkPerSecond"/>); lower is more cautious.
    /// </summary>
    public double MilpEncodingWorkPerSecond { get; init; } = 2e6;

    /// <summary>
    /// Margins (absolute, on <c>C·y ≤ D − margin</c>) with which an exact back-end's candidate that failed the
    /// counterexample check is searched for again, in order (see <see cref="ExactVerifier.RetryMargins"/>).
    /// </summary>
    public IReadOnlyList<double> RetryMargins { get; init; } = new[] { 1e-5, 1e-3, 1e-1 };
}
