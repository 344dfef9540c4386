namespace Certify.Verification.Search;

/// <summary>How a branch and bound run ended.</summary>
public enum BabStatus
{
    /// <summary>Every sub-problem was proven safe by a bound: the property holds (unsat) on the searched regions.</summary>
    Verified,
    /// <summary>A point whose forward output lies in the unsafe set was found; the caller must re-check it (e.g. in ONNX Runtime).</summary>
    Candidate,
    /// <summary>The time limit passed or the run was cancelled.</summary>
    Timeout,
    /// <summary><see cref="BabOptions.MaxDomains"/> sub-problems were bounded without a conclusion.</summary>
    DomainLimit,
    /// <summary>
    /// The open sub-problems would outgrow the memory the search may use (<see cref="BabOptions.MaxQueueBytes"/>): the
    /// search stops without a conclusion rather than be killed by the operating system.
    /// </summary>
    MemoryLimit,
}

/// <summary>A candidate counterexample: an input of region <see cref="Region"/> and the network output computed by the search.</summary>
/// <param name="Region">Index of the region (in the specification) whose box holds <see cref="Input"/>.</param>
/// <param name="Input">The input point (flattened), inside the region's box.</param>
/// <param name="Output">The output found by the search's own forward pass (its dtype), flattened.</param>
public sealed record BabCandidate(int Region, double[] Input, double[] Output);

/// <summary>Counters of a run (summed over regions).</summary>
/// <param name="Strategy">The split strategy actually used.</param>
/// <param name="DomainsBounded">Sub-problems bounded (the root included).</param>
/// <param name="DomainsVerified">Sub-problems dropped with a bound proof.</param>
/// <param name="Float64Rechecks">Sub-problems whose close call was re-bounded in float64.</param>
/// <param name="EngineCalls">Batched calls of the bound engine.</param>
/// <param name="MaxDepth">Deepest split level reached.</param>
/// <param name="QueueSize">Sub-problems left unexamined when the run stopped.</param>
/// <param name="WorstBound">
/// The smallest margin among sub-problems still open when the run stopped (per sub-problem: over its disjuncts, the
/// smallest best row margin <c>lower(c·y) − d</c>); +inf when none is open. Negative values say how far the bounds are from a proof.
/// </param>
/// <param name="Elapsed">Wall-clock time.</param>
/// <param name="RowPasses">
/// Backward passes over the specification rows in the search's own engine calls (one per CROWN call, one per evaluated
/// alpha/beta iterate; float64 re-checks not counted): the work counter of the optimisation, which early stop lowers.
/// </param>
/// <param name="RootsReused">Roots taken from an earlier run's bounds instead of being bounded again (<see cref="RootBounds"/>).</param>
public sealed record BabStatistics(SplitStrategy Strategy, long DomainsBounded, long DomainsVerified, long Float64Rechecks, long EngineCalls,
    int MaxDepth, long QueueSize, double WorstBound, TimeSpan Elapsed, long RowPasses = 0, long RootsReused = 0)
{
    /// <summary>One line for logs.</summary>
    public override string ToString() =>
        $"{Strategy}: {DomainsBounded} domains bounded ({DomainsVerified} proven, {Float64Rechecks} float64 rechecks), {EngineCalls} engine calls" +
        $" ({RowPasses} row passes{(RootsReused > 0 ? $", {RootsReused} root(s) from the root stage" : "")}), " +
        $"depth {MaxDepth}, queue {QueueSize}, worst bound {WorstBound:G4}, {Elapsed.TotalSeconds:0.00} s";
}

/// <summary>
/// The outcome of <see cref="BranchAndBound.Run(Certify.Spec.Specification, CancellationToken)"/>. Only
/// <see cref="BabStatus.Verified"/> is a proof; a <see cref="BabStatus.Candidate"/> is a claim to be checked.
/// </summary>
public sealed record BabResult(BabStatus Status, BabCandidate? Candidate, BabStatistics Statistics)
{
    /// <summary>True when the property was proven (unsat).</summary>
    public bool Verified => Status == BabStatus.Verified;
}

/// <summary>Progress of a running search, for progress bars.</summary>
/// <param name="Region">Index of the region being searched.</param>
/// <param name="DomainsBounded">Sub-problems bounded so far (all regions).</param>
/// <param name="QueueSize">Sub-problems waiting.</param>
/// <param name="WorstBound">Smallest margin among waiting sub-problems (see <see cref="BabStatistics.WorstBound"/>).</param>
/// <param name="Elapsed">Time since the run started.</param>
public sealed record BabProgress(int Region, long DomainsBounded, long QueueSize, double WorstBound, TimeSpan Elapsed);
