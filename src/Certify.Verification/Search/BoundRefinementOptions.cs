namespace Certify.Verification.Search;

/// <summary>
/// Settings of the LP refinement of intermediate bounds before neuron-split branch and bound
/// (<see cref="IntermediateRefinement"/>, <see cref="BabOptions.Refinement"/>). Where branching stalls (mnist_fc 256x2 at
/// eps 0.03: thousands of sub-problems whose bounds barely move), the cause is loose pre-activation bounds of the first
/// layers: every relaxation after them is built on them, and splits of later neurons cannot fix them. A linear program
/// per unstable neuron over the whole network up to its layer is tighter than CROWN's back-substitution (it relaxes each
/// earlier ReLU once for all, instead of by one fixed pair of lines per pass), and the bounds it finds for the root box
/// hold on every sub-problem, so they are computed once and intersected with every bound the search computes.
/// <para>
/// Off by default: it costs two LPs per neuron (one second or more on a 256-wide layer on a loaded CPU), which only a
/// stalled search repays. Every cost is capped: per program in simplex iterations (<see cref="IterationsPerProgram"/>, a
/// work budget, deterministic), and in all by the earlier of <see cref="TimeShare"/> of the search's time and
/// <see cref="MaxTime"/>; neurons left when a cap is reached keep their CROWN bounds.
/// </para>
/// </summary>
public sealed record BoundRefinementOptions
{
    /// <summary>Refine at all (neuron splitting only; skipped while a certificate is recorded, whose checker cannot re-derive LP bounds).</summary>
    public bool Enabled { get; init; }

    /// <summary>
    /// How many branchable (nonlinear) layers, from the first, have their input's bounds refined. The first layer's input
    /// is an affine image of the box (its interval bounds are exact), so it is never solved for and the first layer refined
    /// is the second; 2 refines the second and third.
    /// </summary>
    public int Layers { get; init; } = 2;

    /// <summary>Most neurons refined per layer: the unstable ones with the largest <c>min(−l, u)</c> first (the loosest triangles).</summary>
    public int NeuronsPerLayer { get; init; } = 256;

    /// <summary>
    /// Simplex iterations allowed to each program (one side of one neuron); a program that needs more stops and leaves
    /// that side's CROWN bound. The budget the tests use to make a solver stop, independent of the machine's speed.
    /// </summary>
    public long IterationsPerProgram { get; init; } = 5_000;

    /// <summary>Share of the search's remaining time that refinement may use (it also stops at <see cref="MaxTime"/>).</summary>
    public double TimeShare { get; init; } = 0.2;

    /// <summary>Most time refinement may use in one region.</summary>
    public TimeSpan MaxTime { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Relative widening of every LP bound, <c>Tolerance·(1 + |bound|)</c>, outward: covers the float64 rounding of the
    /// encoding (the encoder's probed affine rows) that the safe dual bound does not see. The safe bound itself already
    /// accounts for the solver's tolerances and for its own sums.
    /// </summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>OR-Tools LP solver id (GLOP: a simplex that keeps its basis when only the objective changes).</summary>
    public string Solver { get; init; } = "GLOP";
}
