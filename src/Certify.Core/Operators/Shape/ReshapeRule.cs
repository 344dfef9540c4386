using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Reshape (Flatten, Squeeze, ...): bounds and coefficients are reshaped.</summary>
public sealed class ReshapeRule : AffineRule<ReshapeOp>
{
    protected override Interval Ibp(ReshapeOp op, Node node, IReadOnlyList<Interval> inputs) =>
        Monotone(inputs[0], t => op.Forward(new[] { t }));

    protected override Tensor Adjoint(ReshapeOp op, BackwardStep step, Tensor a, int input) =>
        a.reshape(WithRows(a, step.InputNodes[0].Shape));

    /// <summary>Row-major order is kept, so the coefficients (trailing input axis) and constants are only reshaped.</summary>
    public override LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds)
    {
        var x = inputs[0];
        long batch = x.LowerB.shape[0], d = x.LowerW.shape[^1];
        var shape = new[] { batch }.Concat(node.Shape).ToArray();
        var wShape = shape.Append(d).ToArray();
        return new LinearBounds(x.LowerW.reshape(wShape), x.LowerB.reshape(shape), x.UpperW.reshape(wShape), x.UpperB.reshape(shape));
    }
}
