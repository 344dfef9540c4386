using Certify.Graph;
using Certify.Solvers;
using Certify.Solvers.Encoding;

namespace Certify.Verification;

/// <summary>
/// Turns an exact back-end's answers into verdicts: unsat only when every region is infeasible, sat only when a
/// solver candidate reproduces through the <see cref="CounterexampleChecker"/>. A candidate that does not reproduce
/// (it violates only within solver tolerance or float64 vs float32 rounding) is retried with the unsafe rows
/// tightened by growing margins, to find a deeper violation; if none exists the answer is unknown, never unsat.
/// </summary>
public sealed class ExactVerifier
{
    readonly IExactBackend _backend;
    readonly CounterexampleChecker _checker;

    /// <summary>Margins tried (absolute, on <c>C·y ≤ D − margin</c>) when a solver's candidate fails the check.</summary>
    public IReadOnlyList<double> RetryMargins { get; init; } = new[] { 1e-5, 1e-3, 1e-1 };

    public ExactVerifier(IExactBackend backend, CounterexampleChecker checker)
    {
        _backend = backend;
        _checker = checker;
    }

    /// <summary>
    /// Decides the checker's specification on <paramref name="graph"/> within <paramref name="timeLimit"/>.
    /// <paramref name="boundsForRegion"/> may supply valid intermediate bounds per region index.
    /// </summary>
    public Verdict Verify(ComputationGraph graph, TimeSpan timeLimit, Func<int, IntermediateBounds?>? boundsForRegion = null, CancellationToken cancel = default) =>
        Verify(graph, Deadline.After(timeLimit, cancel), boundsForRegion == null ? null : (r, _) => boundsForRegion(r));

    /// <summary>
    /// Decides the checker's specification on <paramref name="graph"/> before <paramref name="deadline"/>, which the
    /// back-end receives as it is (it reads the time remaining when its solver starts). <paramref name="boundsForRegion"/>
    /// may supply valid intermediate bounds per region index; it gets the deadline too (its bound computation is part of
    /// the budget), and the back-end is not called when the deadline has passed by the time the bounds are ready.
    /// </summary>
    public Verdict Verify(ComputationGraph graph, Deadline deadline, Func<int, Deadline, IntermediateBounds?>? boundsForRegion = null)
    {
        var spec = _checker.Specification;
        Verdict? inconclusive = null;
        for (int r = 0; r < spec.Regions.Count; r++)
        {
            var region = spec.Regions[r];
            if (deadline.IsPast) return TimedOut(r, spec.Regions.Count);
            var query = new ExactQuery(region.Lower, region.Upper, region.Unsafe, boundsForRegion?.Invoke(r, deadline));
            if (deadline.IsPast) return TimedOut(r, spec.Regions.Count);
            var outcome = _backend.FindViolation(graph, query, deadline);
            var v = Decide(graph, query, outcome, r, deadline);
            if (v is null) continue;                        // region proven safe
            if (v.Kind == VerdictKind.Sat) return v;
            if (outcome.Status == ExactStatus.NotSupported) return v; // the same op blocks every region
            inconclusive ??= v;
        }
        return inconclusive ?? Verdict.Unsat($"{_backend.Name}: every unsafe disjunct infeasible in all {spec.Regions.Count} region(s)");
    }

    Verdict TimedOut(int r, int regions) => Verdict.Timeout($"{_backend.Name}: time limit reached at region {r + 1} of {regions}");

    /// <summary>Null when the region is proven safe; otherwise the region's verdict.</summary>
    Verdict? Decide(ComputationGraph graph, ExactQuery query, ExactOutcome outcome, int r, Deadline deadline)
    {
        switch (outcome.Status)
        {
            case ExactStatus.Infeasible: return null;
            case ExactStatus.Timeout: return Verdict.Timeout(outcome.Detail);
            case ExactStatus.NotSupported: return Verdict.Unknown($"not supported by {_backend.Name}: {outcome.Detail}");
            case ExactStatus.Unknown: return Verdict.Unknown(outcome.Detail);
        }
        var check = _checker.Check(outcome.X!);
        if (check.Confirmed) return check.Verdict;
        string last = check.Detail;
        foreach (var margin in RetryMargins)
        {
            if (deadline.IsPast)
                return Verdict.Timeout($"{_backend.Name}: candidate in region {r} did not reproduce ({last}); time ran out while looking for a deeper one");
            var deeper = _backend.FindViolation(graph, query with { RequiredMargin = margin }, deadline);
            if (deeper.Status == ExactStatus.Candidate)
            {
                check = _checker.Check(deeper.X!);
                if (check.Confirmed) return check.Verdict;
                last = check.Detail;
                continue;
            }
            if (deeper.Status == ExactStatus.Infeasible)
                return Verdict.Unknown($"{_backend.Name}: region {r} has solver violations only within {margin:G2} of the unsafe boundary and none reproduces ({last})");
            return deeper.Status == ExactStatus.Timeout ? Verdict.Timeout(deeper.Detail) : Verdict.Unknown(deeper.Detail);
        }
        return Verdict.Unknown($"{_backend.Name}: no solver candidate in region {r} reproduces ({last})");
    }
}
