using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>
/// Base of the rules of elementwise nonlinear functions with one input: a subclass gives the interval rule and a sound
/// linear relaxation on the input box; the backward step is shared.
/// </summary>
public abstract class ElementwiseRule<TOp> : BoundRule<TOp> where TOp : Op
{
    public override bool NeedsInputBounds => true;

    /// <summary>Lines below and above the function on <c>[l, u]</c> (each <c>[B, *shape]</c>).</summary>
    protected abstract Relaxation Relaxation(TOp op, Tensor l, Tensor u);

    public override BackwardResult Backward(BackwardStep step)
    {
        var x = step.Inputs[0];
        var rel = Relaxation((TOp)step.Node.Op, x.Lower, x.Upper);
        return Relax.Elementwise(step, rel, rel);
    }
}
