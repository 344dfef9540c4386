using Certify.Graph;
using Certify.Graph.Ops;
using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>Reshape (Flatten, Squeeze, ...): bounds and coefficients are reshaped.</summary>
public sealed class ReshapeRule : AffineRule<ReshapeOp>
{
    protected override Interval Ibp(ReshapeOp op, Node node, IReadOnlyList<Interval> inputs) =>
        Monotone(inputs[0], t => op.Forward(new[] { t }));

    protected override Tensor Adjoint(ReshapeOp op, BackwardStep step, Tensor a, int input) =>
        a.reshape(WithRows(a, step.InputNodes[0].Shape));
}
