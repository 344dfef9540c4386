using Certify.Bounds;
using static TorchSharp.torch;

namespace Certify.Verification.Search;

/// <summary>How branch and bound divides a sub-problem that its bounds cannot prove.</summary>
public enum SplitStrategy
{
    /// <summary>
    /// Input splitting when the input has at most <see cref="BabOptions.InputSplitMaxDimension"/> variables or no node can
    /// be branched on, neuron splitting otherwise (see <see cref="BranchAndBound.ChooseStrategy"/>).
    /// </summary>
    Auto,
    /// <summary>
    /// Bisect one input dimension: the one with the largest |input coefficient| × width in the sub-box's linear lower
    /// bound (coefficients floored, <see cref="BabOptions.InputSplitCoefficientFloor"/>). With the default method the
    /// boxes are bounded by CROWN, and if that search is undecided after its share of the budget
    /// (<see cref="BabOptions.InputSplitFirstPhaseShare"/>), the open sub-boxes and their children by alpha-CROWN.
    /// </summary>
    InputSplit,
    /// <summary>
    /// Split one neuron of a branchable nonlinearity (ReLU at 0, active or inactive; sigmoid, tanh and others at the point
    /// their rule chooses; see <c>IBranchableRule</c>), chosen by its estimated effect on the bound; the splits enter the
    /// bounds as clipped input bounds of the neuron and, with beta-CROWN (the default here), as optimised Lagrange
    /// multipliers.
    /// </summary>
    NeuronSplit,
}

/// <summary>Settings of <see cref="BranchAndBound"/>.</summary>
public sealed record BabOptions
{
    /// <summary>Input or neuron splitting; <see cref="SplitStrategy.Auto"/> picks by input dimension.</summary>
    public SplitStrategy Strategy { get; init; } = SplitStrategy.Auto;

    /// <summary>Largest input size for which <see cref="SplitStrategy.Auto"/> splits inputs.</summary>
    public int InputSplitMaxDimension { get; init; } = 16;

    /// <summary>
    /// Input splitting bisects the dimension with the largest |coefficient| × width, each |coefficient| first raised to at
    /// least this fraction of the sub-box's largest. 0 is the pure coefficient rule, which is blind to a dimension whose
    /// coefficient in the final bound is ~0 but whose width loosens unstable ReLUs (ACAS Xu 3_9 prop_1: it never splits
    /// X_2 and bisects the rest to float resolution); 1 splits the widest dimension. Of 0.01 to 0.5, 0.1 proved the
    /// hardest ACAS Xu properties (3_3 and 4_2 prop_2) in the fewest sub-boxes and every other one tried within 1.5k-4k
    /// (<c>benchmarks/verification/README.md</c>).
    /// </summary>
    public double InputSplitCoefficientFloor { get; init; } = 0.1;

    /// <summary>
    /// Input splitting with the default method (<see cref="Method"/> null) runs two phases: CROWN for this share of the
    /// time limit and of <see cref="MaxDomains"/> (at most <see cref="InputSplitFirstPhaseDomains"/> domains), then, if
    /// undecided, alpha-CROWN (<see cref="AlphaIterations"/> per batch) on the sub-boxes CROWN left open and their
    /// children. 1 keeps CROWN throughout.
    /// </summary>
    public double InputSplitFirstPhaseShare { get; init; } = 0.25;

    /// <summary>Most domains the first phase of the input-split portfolio bounds (it also ends at its share of the time limit).</summary>
    public long InputSplitFirstPhaseDomains { get; init; } = 100_000;

    /// <summary>Sub-problems bounded per engine call.</summary>
    public int BatchSize { get; init; } = 1024;

    /// <summary>
    /// Bound method of every batch. Null (default) picks by strategy: for input splitting CROWN (many cheap domains), then
    /// alpha-CROWN if CROWN has not decided within <see cref="InputSplitFirstPhaseShare"/>; beta-CROWN for neuron splitting (whose splits only tighten the bound through the multipliers). CROWN, alpha-CROWN or
    /// beta-CROWN may be forced (IBP only for tests).
    /// </summary>
    public BoundMethod? Method { get; init; }

    /// <summary>
    /// Alpha-only Adam iterations per batch: all of alpha-CROWN's, and beta-CROWN's phase before the joint one.
    /// </summary>
    public int AlphaIterations { get; init; } = 10;

    /// <summary>Joint alpha/beta Adam iterations per batch of split sub-problems with beta-CROWN.</summary>
    public int BetaIterations { get; init; } = 10;

    /// <summary>
    /// Early stop of each batch's alpha/beta phases when no row's best bound moved by more than
    /// <see cref="EarlyStopAbsolute"/> + <see cref="EarlyStopRelative"/>·|bound| over this many iterations
    /// (<see cref="BoundOptions.EarlyStopWindow"/>; the root stage's alpha-CROWN uses it too); 0: every iteration runs.
    /// </summary>
    public int EarlyStopWindow { get; init; } = new BoundOptions().EarlyStopWindow;

    /// <summary>Relative part of the early-stop threshold (<see cref="BoundOptions.EarlyStopRelative"/>).</summary>
    public double EarlyStopRelative { get; init; } = new BoundOptions().EarlyStopRelative;

    /// <summary>Absolute part of the early-stop threshold (<see cref="BoundOptions.EarlyStopAbsolute"/>).</summary>
    public double EarlyStopAbsolute { get; init; } = new BoundOptions().EarlyStopAbsolute;

    /// <summary>
    /// Stop a batch's alpha/beta phase as soon as every row of every sub-problem clears its d by the search's margin
    /// (<see cref="Tolerance"/>): a bound beyond the proof is not needed (<see cref="SubproblemInputs.StopWhenProved"/>).
    /// Proofs are decided from the bounds returned either way.
    /// </summary>
    public bool EarlyStopWhenProved { get; init; } = true;

    /// <summary>
    /// Neuron splitting with alpha-/beta-CROWN: children start from their parent's best relaxation parameters (of every
    /// optimisable node: ReLU slopes, sigmoid tangent points, ...) and multipliers (a much better start than CROWN's
    /// choices and zero multipliers), carried per sub-problem when there are at most <see cref="MaxInheritedParameters"/>
    /// of each (rows × parameters, rows × branchable neurons, per pass).
    /// </summary>
    public bool InheritOptimisedParameters { get; init; } = true;

    /// <summary>
    /// Neuron splitting: how many of the best neurons by the relaxation-error score are tried both ways with a cheap CROWN pass
    /// before one is split (filtered smart branching); 1 or less splits the best-scoring neuron directly.
    /// </summary>
    public int BranchingCandidates { get; init; } = 3;

    /// <summary>
    /// Largest rows × parameters (and rows × branchable neurons) for which parameters and multipliers are carried per
    /// sub-problem; when every optimisable node's parameters are too many, only the branchable nodes' are carried.
    /// </summary>
    public long MaxInheritedParameters { get; init; } = 50_000;

    /// <summary>Floating-point type of the search (float32 by default; close calls are re-checked in float64).</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>
    /// Relative safety margin of a float32 proof: a row counts as proven in float32 only when its lower bound exceeds
    /// <c>d + Tolerance·(1 + |d| + |bound|)</c>; rows that are positive but within the margin are re-bounded in float64.
    /// </summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Upper limit on sub-problems bounded (per region); the search stops with <see cref="BabStatus.DomainLimit"/>.</summary>
    public long MaxDomains { get; init; } = long.MaxValue;

    /// <summary>
    /// Most bytes the queue of open sub-problems may hold; the search stops with <see cref="BabStatus.MemoryLimit"/>
    /// before growing it past this. Null (the default) takes <see cref="QueueMemoryShare"/> of the memory the machine has
    /// available when the search starts (<see cref="Certify.Runtime.MachineMemory"/>), so that parallel workers, each
    /// seeing what the others left, together stay below the machine's memory.
    /// </summary>
    public long? MaxQueueBytes { get; init; }

    /// <summary>Share of the available memory the queue may take when <see cref="MaxQueueBytes"/> is null. The queue
    /// grows by doubling and copies one field at a time, so at a growth it briefly holds about 1.5 times its new size;
    /// the bounding of a batch needs working memory besides.</summary>
    public double QueueMemoryShare { get; init; } = 0.25;

    /// <summary>Wall-clock limit of one <see cref="BranchAndBound.Run(Certify.Spec.Specification, CancellationToken)"/> call; null means none.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>
    /// Neuron splitting: carry each sub-problem's pre-activation bounds to its children and reuse those before the split
    /// layer. Disabled automatically when the network has more pre-activation neurons than <see cref="MaxReusedNeurons"/>.
    /// </summary>
    public bool ReuseIntermediateBounds { get; init; } = true;

    /// <summary>Largest number of pre-activation neurons for which bounds are carried per sub-problem.</summary>
    public long MaxReusedNeurons { get; init; } = 200_000;

    /// <summary>
    /// Neuron splitting: tighten the input bounds of the first layers by linear programming on the root box before the
    /// search, and intersect every bound of the search with them (<see cref="BoundRefinementOptions"/>); off by default.
    /// </summary>
    public BoundRefinementOptions Refinement { get; init; } = new();

    /// <summary>Called with the search's progress at most every <see cref="ProgressInterval"/> and once at the end.</summary>
    public Action<BabProgress>? Progress { get; init; }

    /// <summary>Time between progress reports.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// DELIBERATELY UNSOUND, for the soundness harness's self-check only: after every split the second child (the upper
    /// half of a bisected input, or the lower side of a split neuron) is dropped unexamined, the kind of bug that makes
    /// a verifier answer unsat on a violable property. Never set this outside tests of the harness.
    /// </summary>
    public bool UnsoundDropSecondChildForTesting { get; init; }

    /// <summary>
    /// Receives every sub-problem closed by a bound proof (for certificates, <c>specs/certificate.md</c>); null records
    /// nothing. It only observes: the search is the same with or without it.
    /// </summary>
    public IProofRecorder? Recorder { get; init; }
}
