using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Strided slice of one axis: bounds are sliced; coefficients are scattered back to the selected positions (zeros elsewhere).</summary>
public sealed class SliceRule : AffineRule<SliceOp>
{
    protected override bool PositiveMap => true;

    protected override Interval Ibp(SliceOp op, Node node, IReadOnlyList<Interval> inputs) =>
        Monotone(inputs[0], t => op.Forward(new[] { t }));

    protected override Tensor Adjoint(SliceOp op, BackwardStep step, Tensor a, int input)
    {
        var inShape = step.InputNodes[0].Shape;
        long count = a.shape[op.Axis + 2];
        using var idx = arange(op.Start, op.Start + count * op.Step, op.Step, dtype: ScalarType.Int64, device: a.device);
        return zeros(WithRows(a, inShape), a.dtype, a.device).index_add(op.Axis + 2, idx, a, 1);
    }
}
