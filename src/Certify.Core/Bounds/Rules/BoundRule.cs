using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>
/// How one kind of operator is bounded: its interval rule (IBP) and its backward linear relaxation rule (CROWN).
/// There is one subclass per <see cref="Op"/> kind, beside the op in its family folder
/// (<c>Operators/&lt;Family&gt;/&lt;Op&gt;Rule.cs</c>); the op's <c>OperatorDefinition</c> names it and
/// <see cref="BoundRuleRegistry"/> finds it. Rules are stateless singletons. All code paths are autograd friendly (no detach, no in-place
/// updates of tensors that may carry gradients) so that certified training can differentiate through them.
/// </summary>
public abstract class BoundRule
{
    /// <summary>The <see cref="Op"/> subclass this rule bounds.</summary>
    public abstract Type OpType { get; }

    /// <summary>Interval bounds of the node's output from the bounds of its inputs (each <c>[B, *inputShape]</c>).</summary>
    public abstract Interval Ibp(Node node, IReadOnlyList<Interval> inputs);

    /// <summary>
    /// False when the rule has no linear relaxation: CROWN then treats the node's output as a constant box taken from its
    /// interval bounds (sound, looser) and reports the node in <see cref="BoundResult.IbpFallbacks"/>.
    /// </summary>
    public virtual bool HasCrownRule(Node node) => true;

    /// <summary>True for nonlinear ops whose relaxation depends on the bounds of their inputs (CROWN computes those bounds first).</summary>
    public virtual bool NeedsInputBounds => false;

    /// <summary>
    /// Which elements of input <paramref name="inputIndex"/> need tight (CROWN) bounds for this node's relaxation, as a bool
    /// tensor <c>[B, *inputShape]</c>; null means all of them. ReLU only needs its unstable neurons.
    /// </summary>
    public virtual Tensor? RefinementMask(Node node, int inputIndex, Interval input) => null;

    /// <summary>
    /// True for monotone elementwise ops (ReLU, sigmoid, ...): the interval rule gives the exact range of each output over
    /// its input's interval, and a CROWN pass from one output element cannot beat that range once the input element's
    /// bounds are CROWN-tight. The engine therefore never refines such a node; it refines all of its input instead.
    /// </summary>
    public virtual bool ExactImageOfInput => false;

    /// <summary>
    /// CROWN's backward step: given the coefficients of this node's output in the lower-bound pass and in the upper-bound
    /// pass (<c>[B, S, *shape]</c>, either may be null), returns the coefficients of each input and the constant terms
    /// (<c>[B, S]</c>) such that <c>lowerA·y ≥ Σ inputLowerA·x + lowerBias</c> and <c>upperA·y ≤ Σ inputUpperA·x + upperBias</c>.
    /// The default (for rules without a relaxation) uses the node's interval bounds as constants.
    /// </summary>
    public virtual BackwardResult Backward(BackwardStep step) => ConstantBackward(step);

    /// <summary>
    /// True when the rule's upper pass is its lower pass mirrored (without alpha or beta parameters): for any
    /// coefficients A, the upper-pass coefficients and constant of A are minus the lower-pass ones of −A. This holds
    /// for every affine map (the adjoint and the offset are linear in A) and for every elementwise relaxation applied by
    /// sign of the coefficients (<see cref="Relax.Elementwise"/>: positive coefficients of the upper pass take the upper
    /// line, which are the negative ones of the mirrored lower pass). When every node's rule says so, the engine bounds
    /// <c>A·y</c> on both sides with one lower pass over the rows <c>[A; −A]</c> (the upper bound is minus the lower
    /// bound of −A·y), which issues half the tensor operations: on small layers a pass's time is the number of its
    /// operations, not their arithmetic. False (the default) keeps the two passes apart; a subclass that changes
    /// <see cref="Backward"/> of a rule that says true must say whether it still holds.
    /// </summary>
    public virtual bool MirroredPasses => false;

    /// <summary>
    /// True when both passes apply one and the same linear map to their coefficients (affine ops: the adjoint and the
    /// offset), so that a mirrored pass (<see cref="MirroredPasses"/>) may carry both sides' shared coefficients through
    /// the step once. Implies <see cref="MirroredPasses"/>.
    /// </summary>
    public virtual bool LinearBackward => false;

    /// <summary>
    /// The IBP fallback relaxation: the node's output is only known to lie in <see cref="BackwardStep.Output"/>, so the
    /// coefficients stop here and become constants (lower pass: positive coefficients take the lower bound).
    /// </summary>
    protected static BackwardResult ConstantBackward(BackwardStep step)
    {
        var r = new BackwardResult(step.InputNodes.Count);
        var o = step.Output;
        if (step.LowerA is { } la) r.LowerBias = Relax.Dot(la.clamp_min(0), o.Lower.unsqueeze(1)) + Relax.Dot(la.clamp_max(0), o.Upper.unsqueeze(1));
        if (step.UpperA is { } ua) r.UpperBias = Relax.Dot(ua.clamp_min(0), o.Upper.unsqueeze(1)) + Relax.Dot(ua.clamp_max(0), o.Lower.unsqueeze(1));
        return r;
    }

    /// <summary>
    /// Forward-mode linear bounds of the node's output from those of its inputs (<see cref="LinearBounds"/>), or null when
    /// the op has no forward rule (the forward pass then stops at this node). <paramref name="inputBounds"/> are the inputs'
    /// concrete bounds, which nonlinear relaxations need. The default is the zeroth-order bound: the node's interval
    /// (<see cref="Ibp"/>) as constants with zero coefficients, sound for any op and as loose as IBP at that node, so
    /// that one op without a linear forward rule (Softmax, MaxPool, a product) does not switch forward mode off for the
    /// whole network; rules with a relaxation override it.
    /// </summary>
    public virtual LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds) =>
        inputs.Count == 0 ? null : ConstantForward(Ibp(node, inputBounds), inputs[0].LowerW.shape[^1]);

    /// <summary>Forward bounds <c>0·x + [lower, upper]</c> of an interval <c>[B, *shape]</c> over an input of <paramref name="d"/> elements.</summary>
    protected static LinearBounds ConstantForward(Interval output, long d)
    {
        var w = zeros(output.Lower.shape.Append(d).ToArray(), output.Lower.dtype, output.Lower.device);
        return new LinearBounds(w, output.Lower, w, output.Upper);
    }

    /// <summary>Applies an elementwise function that is nondecreasing: the bounds map through it directly.</summary>
    protected static Interval Monotone(Interval x, Func<Tensor, Tensor> f) => new(f(x.Lower), f(x.Upper));
}

/// <summary>Typed base: casts the node's op once so that rules read their op's attributes directly.</summary>
public abstract class BoundRule<TOp> : BoundRule where TOp : Op
{
    public sealed override Type OpType => typeof(TOp);
    public sealed override Interval Ibp(Node node, IReadOnlyList<Interval> inputs) => Ibp((TOp)node.Op, node, inputs);

    /// <summary>Interval rule with the op already cast.</summary>
    protected abstract Interval Ibp(TOp op, Node node, IReadOnlyList<Interval> inputs);
}

/// <summary>Everything a rule's backward step may read. Coefficient tensors are <c>[B, S, *node shape]</c>.</summary>
public sealed class BackwardStep
{
    /// <summary>The node being bounded.</summary>
    public required Node Node { get; init; }

    /// <summary>The nodes feeding it, in operand order (for their shapes).</summary>
    public required IReadOnlyList<Node> InputNodes { get; init; }

    /// <summary>Bounds of each input node, <c>[B, *shape]</c>.</summary>
    public required IReadOnlyList<Interval> Inputs { get; init; }

    /// <summary>Bounds of this node's output (used by the IBP fallback and by MaxPool).</summary>
    public required Interval Output { get; init; }

    /// <summary>Coefficients of this node's output in the pass that bounds the rows from below, or null.</summary>
    public Tensor? LowerA { get; init; }

    /// <summary>Coefficients in the pass that bounds the rows from above, or null.</summary>
    public Tensor? UpperA { get; init; }

    /// <summary>
    /// alpha-CROWN's parameters of this node's relaxation for the lower pass (<see cref="IOptimisableRule"/>):
    /// <c>[B, S, *ParameterShape]</c> in the rule's layout (ReLU: its lower slopes <c>[B, S, *shape]</c>), values in
    /// [0, 1], each a sound choice; null for CROWN's choice.
    /// </summary>
    public Tensor? AlphaLowerPass { get; init; }

    /// <summary>alpha-CROWN's parameters of this node's relaxation for the upper pass, or null.</summary>
    public Tensor? AlphaUpperPass { get; init; }

    /// <summary>
    /// Beta-CROWN multipliers (≥ 0) of this node's split constraints in the lower pass, <c>[B, S, *shape]</c>, or null.
    /// Applied only together with <see cref="SplitSign"/>.
    /// </summary>
    public Tensor? BetaLowerPass { get; init; }

    /// <summary>Beta-CROWN multipliers for the upper pass, <c>[B, S, *shape]</c>, or null.</summary>
    public Tensor? BetaUpperPass { get; init; }

    /// <summary>
    /// Split signs of this branchable node's neurons, <c>[B, *shape]</c> (+1: input ≥ the split point, −1: input ≤ it,
    /// 0 free), or null. The multipliers are applied by CROWN after the rule's step (<see cref="Relax.AddSplitMultipliers"/>).
    /// </summary>
    public Tensor? SplitSign { get; init; }

    /// <summary>Split points of those neurons, <c>[B, *shape]</c> (finite), or null for 0 (ReLU's split).</summary>
    public Tensor? SplitPoint { get; init; }

    /// <summary>
    /// Relaxations already made for these input bounds by earlier passes of the same engine call, or null: a rule whose
    /// relaxation is a function of its input bounds alone may take it from here instead of rebuilding it
    /// (<see cref="ElementwiseRule{TOp}"/> does).
    /// </summary>
    public RelaxationCache? Relaxations { get; init; }
}

/// <summary>Result of <see cref="BoundRule.Backward"/>: coefficients per input and constant terms per pass.</summary>
public sealed class BackwardResult(int inputs)
{
    /// <summary>Coefficients of each input in the lower pass (null where the input gets none).</summary>
    public Tensor?[] LowerA { get; } = new Tensor?[inputs];

    /// <summary>Coefficients of each input in the upper pass.</summary>
    public Tensor?[] UpperA { get; } = new Tensor?[inputs];

    /// <summary>Constant added in the lower pass, <c>[B, S]</c>, or null for zero.</summary>
    public Tensor? LowerBias { get; set; }

    /// <summary>Constant added in the upper pass, <c>[B, S]</c>, or null for zero.</summary>
    public Tensor? UpperBias { get; set; }
}
