using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Selection of constant indices along one axis: bounds are gathered; coefficients are added back at those indices.</summary>
public sealed class GatherRule : AffineRule<GatherOp>
{
    protected override bool PositiveMap => true;

    protected override Interval Ibp(GatherOp op, Node node, IReadOnlyList<Interval> inputs) =>
        Monotone(inputs[0], t => op.Forward(new[] { t }));

    protected override Tensor Adjoint(GatherOp op, BackwardStep step, Tensor a, int input)
    {
        var inShape = step.InputNodes[0].Shape;
        var src = op.ScalarIndex ? a.unsqueeze(op.Axis + 2) : a;
        var indices = op.Indices.Select(i => i < 0 ? i + inShape[op.Axis] : i).ToArray();
        using var idx = tensor(indices, device: a.device);
        return zeros(WithRows(a, inShape), a.dtype, a.device).index_add(op.Axis + 2, idx, src, 1);
    }
}
