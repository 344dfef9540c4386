using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>
/// Base of the rules of elementwise nonlinear functions with one input: a subclass gives the interval rule and a sound
/// linear relaxation on the input box; the backward step is shared.
/// <para>
/// A subclass with a free choice in its relaxation (a tangent point, a slope) also gives
/// <see cref="ParameterCount"/> parameters per neuron, CROWN's values of them (<see cref="InitialParameters(TOp, Tensor, Tensor)"/>)
/// and the relaxation for any values in [0, 1] (<see cref="ParameterisedRelaxation"/>); alpha-CROWN then optimises them
/// (<see cref="IOptimisableRule"/>). One parameter per neuron is stored as <c>[B, S, *shape]</c>, K of them as
/// <c>[B, S, K, *shape]</c>.
/// </para>
/// </summary>
public abstract class ElementwiseRule<TOp> : BoundRule<TOp>, IOptimisableRule where TOp : Op
{
    public override bool NeedsInputBounds => true;

    /// <summary>Lines below and above the function on <c>[l, u]</c> (each <c>[B, *shape]</c>): CROWN's choice.</summary>
    protected abstract Relaxation Relaxation(TOp op, Tensor l, Tensor u);

    /// <summary>Parameters of each neuron's relaxation (0, the default: no free choice).</summary>
    protected virtual int ParameterCount(TOp op) => 0;

    /// <summary>
    /// CROWN's choice of the <see cref="ParameterCount"/> parameters, each <c>[B, *shape]</c> in [0, 1]: the
    /// <see cref="ParameterisedRelaxation"/> at these values is <see cref="Relaxation(TOp, Tensor, Tensor)"/>.
    /// </summary>
    protected virtual Tensor[] InitialParameters(TOp op, Tensor l, Tensor u) => Array.Empty<Tensor>();

    /// <summary>
    /// The relaxation chosen by <paramref name="theta"/> (<see cref="ParameterCount"/> tensors broadcastable with the
    /// bounds, values in [0, 1]); <paramref name="l"/>, <paramref name="u"/> are <c>[B, 1, *shape]</c> when the parameters
    /// are per row <c>[B, S, *shape]</c>. Must be sound for every value in [0, 1].
    /// </summary>
    protected virtual Relaxation ParameterisedRelaxation(TOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta) => Relaxation(op, l, u);

    /// <summary>
    /// Forward mode through CROWN's relaxation on the input's concrete bounds (<see cref="Relax.Forward"/>): every
    /// elementwise function with a sound relaxation gets forward-mode bounds without code of its own.
    /// </summary>
    public override LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds) =>
        Relax.Forward(inputs[0], Relaxation((TOp)node.Op, inputBounds[0].Lower, inputBounds[0].Upper));

    public long[]? ParameterShape(Node node)
    {
        int k = ParameterCount((TOp)node.Op);
        return k == 0 ? null : k == 1 ? node.Shape.ToArray() : new[] { (long)k }.Concat(node.Shape).ToArray();
    }

    public Tensor InitialParameters(Node node, IReadOnlyList<Interval> inputs)
    {
        var op = (TOp)node.Op;
        var theta = InitialParameters(op, inputs[0].Lower, inputs[0].Upper);
        return theta.Length == 1 ? theta[0] : stack(theta, 1);
    }

    public override BackwardResult Backward(BackwardStep step)
    {
        var x = step.Inputs[0];
        var op = (TOp)step.Node.Op;
        int k = ParameterCount(op);
        if (k == 0 || (step.AlphaLowerPass is null && step.AlphaUpperPass is null))
        {
            var rel = Relaxation(op, x.Lower, x.Upper);
            return Relax.Elementwise(step, rel, rel);
        }
        var l = x.Lower.unsqueeze(1); var u = x.Upper.unsqueeze(1);      // [B, 1, *shape]
        Relaxation? crown = null;
        Relaxation For(Tensor? theta)
        {
            if (theta is null) return crown ??= Relaxation(op, x.Lower, x.Upper);
            var t = theta.clamp(0, 1);
            var parts = k == 1 ? new[] { t } : Enumerable.Range(0, k).Select(i => t.select(2, i)).ToArray();
            return ParameterisedRelaxation(op, l, u, parts);
        }
        return Relax.Elementwise(step, For(step.AlphaLowerPass), For(step.AlphaUpperPass));
    }
}
