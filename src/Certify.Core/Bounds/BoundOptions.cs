using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>Which bound propagation algorithm <see cref="BoundEngine"/> runs.</summary>
public enum BoundMethod
{
    /// <summary>Interval bound propagation: each node's box from its inputs' boxes.</summary>
    Ibp,
    /// <summary>
    /// CROWN: linear relaxations propagated backwards from the specification to the input and concretised over the
    /// input box; every nonlinear node's input bounds are computed by CROWN too.
    /// </summary>
    Crown,
    /// <summary>CROWN whose ReLU lower slopes are optimised (Adam, per neuron and per specification row) for the final rows.</summary>
    AlphaCrown,
    /// <summary>
    /// Alpha-CROWN, then, when neuron splits are given (<see cref="SubproblemInputs.Splits"/>), a joint Adam optimisation of
    /// the slopes and of beta-CROWN's multipliers of the split constraints, started from alpha-CROWN's best slopes and
    /// keeping the best bound per row: never looser than alpha-CROWN with the same splits. Without splits it is alpha-CROWN.
    /// </summary>
    BetaCrown,
}

/// <summary>Settings of a <see cref="BoundEngine"/>.</summary>
public sealed record BoundOptions
{
    /// <summary>The algorithm; CROWN by default.</summary>
    public BoundMethod Method { get; init; } = BoundMethod.Crown;

    /// <summary>Floating-point type of every bound tensor: float32 (default) or float64.</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Where the tensors live; null means CPU.</summary>
    public Device? Device { get; init; }

    /// <summary>Adam iterations of alpha-CROWN.</summary>
    public int AlphaIterations { get; init; } = 20;

    /// <summary>Adam learning rate for the alpha slopes.</summary>
    public double AlphaLearningRate { get; init; } = 0.5;

    /// <summary>
    /// Beta-CROWN: Adam iterations of the joint (alpha and beta) phase that follows the <see cref="AlphaIterations"/>
    /// alpha-only iterations when splits are given.
    /// </summary>
    public int BetaIterations { get; init; } = 20;

    /// <summary>
    /// Early stop of alpha-/beta-CROWN: a phase ends before its <see cref="AlphaIterations"/> (or <see cref="BetaIterations"/>)
    /// when no row's best bound moved by more than <see cref="EarlyStopAbsolute"/> + <see cref="EarlyStopRelative"/>·|bound|
    /// over this many iterations, rows already proven for the caller (<see cref="SubproblemInputs.StopWhenProved"/>) not
    /// counted. Why: in branch and bound most batches reach their bound in a few Adam steps and the remaining iterations
    /// each cost a full backward pass for a change in the fourth digit. The bound returned is the best iterate, so it can only
    /// be looser than without the rule, never unsound. 0 turns the stall rule off (every iteration runs).
    /// </summary>
    public int EarlyStopWindow { get; init; } = 4;

    /// <summary>Relative part of the early-stop threshold (see <see cref="EarlyStopWindow"/>), a fraction of |bound|.</summary>
    public double EarlyStopRelative { get; init; } = 1e-3;

    /// <summary>Absolute part of the early-stop threshold (see <see cref="EarlyStopWindow"/>), in the rows' units.</summary>
    public double EarlyStopAbsolute { get; init; } = 1e-4;

    /// <summary>Adam learning rate for the beta multipliers (their scale is that of the pre-activation coefficients).</summary>
    public double BetaLearningRate { get; init; } = 0.05;

    /// <summary>
    /// When true (default), the CROWN bounds of an intermediate node are intersected with its interval bounds. When
    /// false, neurons refined by CROWN keep the CROWN bound alone (as auto_LiRPA reports them).
    /// </summary>
    public bool IntersectIntermediate { get; init; } = true;

    /// <summary>
    /// When more than this fraction of a node's neurons need CROWN bounds, all of them get CROWN bounds (one dense pass is
    /// cheaper than gathering rows, and stable neurons gain too); below it only the needed ones do.
    /// </summary>
    public double DenseRefinementFraction { get; init; } = 0.9;

    /// <summary>
    /// CROWN and alpha-CROWN first tighten each intermediate node's interval bounds with forward-mode linear bounds
    /// (<see cref="LinearBounds"/>) when the network has at most this many inputs, so that neurons already proven stable get
    /// no CROWN row. The bounds stay sound either way; 0 turns it off (as auto_LiRPA, whose intermediate bounds are
    /// compared in the oracle tests, does not have this step).
    /// </summary>
    public int ForwardPrefilterMaxInputSize { get; init; } = 32;

    /// <summary>
    /// In a batch, refine intermediate bounds with one row per needed (sub-problem, neuron) pair when the pairs number
    /// less than this fraction of the padded layout (sub-problems × largest count of needed neurons); see
    /// <see cref="BoundEngine"/>. 0 always pads.
    /// </summary>
    public double FlattenedRefinementFraction { get; init; } = 0.75;

    /// <summary>
    /// CROWN refinement of a convolution's output keeps each row's coefficients as a patch over the row's window of every
    /// earlier layer (<see cref="ConvPatches"/>) where the layers below are convolutions and elementwise relaxations down
    /// to the input, instead of dense rows over whole layers: the same bounds (up to the order of floating-point sums) for
    /// a fraction of the memory and arithmetic. False: dense rows everywhere.
    /// </summary>
    public bool ConvPatches { get; init; } = true;

    /// <summary>
    /// Upper limit on the elements of one coefficient tensor during intermediate-bound passes; larger row sets are
    /// processed in chunks to bound memory.
    /// </summary>
    public long MaxCoefficientElements { get; init; } = 1L << 24;

    /// <summary>
    /// These options with intermediate bounds from CROWN alone: no intersection with interval bounds
    /// (<see cref="IntersectIntermediate"/>) and no forward-mode pre-filter (<see cref="ForwardPrefilterMaxInputSize"/>).
    /// That is CROWN as auto_LiRPA computes it by default, the work behind the rows of <c>../shared/oracle</c>: a speed
    /// comparison with it is only fair on this setting, since the defaults add work (and tightness: the default rows are
    /// 2-52% tighter on the ACAS Xu and mnist_fc oracle files).
    /// </summary>
    public BoundOptions PlainCrown() => this with { IntersectIntermediate = false, ForwardPrefilterMaxInputSize = 0 };

    /// <summary>What each method computes, for the commands' help (one line per method).</summary>
    public const string MethodsHelp =
        "ibp: interval bounds, node by node from the input box (the rows fold C into the last affine layers). " +
        "crown: linear bounds propagated backwards from the rows to the input box; every ReLU/nonlinear input is first bounded " +
        "the same way (back-substitution), and by default those intermediate bounds are intersected with interval and, for " +
        "at most 32 inputs, forward-mode bounds (tighter than auto_LiRPA's CROWN; --plain-crown: CROWN alone, as auto_LiRPA). " +
        "alpha-crown: crown whose relaxation slopes of the final pass are optimised by Adam (intermediate bounds as crown).";

    /// <summary>Parses "ibp", "crown", "alpha-crown", "beta-crown" (case-insensitive).</summary>
    public static BoundMethod ParseMethod(string text) => text.ToLowerInvariant() switch
    {
        "ibp" => BoundMethod.Ibp,
        "crown" => BoundMethod.Crown,
        "alpha-crown" or "alpha_crown" or "alphacrown" => BoundMethod.AlphaCrown,
        "beta-crown" or "beta_crown" or "betacrown" or "alpha-beta-crown" => BoundMethod.BetaCrown,
        _ => throw new ArgumentException($"unknown bound method '{text}' (supported: ibp, crown, alpha-crown, beta-crown)")
    };

    /// <summary>The method's command-line name.</summary>
    public static string MethodName(BoundMethod m) => m switch
    {
        BoundMethod.Ibp => "ibp",
        BoundMethod.Crown => "crown",
        BoundMethod.BetaCrown => "beta-crown",
        _ => "alpha-crown"
    };
}
