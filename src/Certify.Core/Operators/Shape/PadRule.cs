using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Constant padding: bounds are padded with the constant; coefficients are cropped back to the input, and the padded
/// positions contribute <c>value · Σ A</c> over them as a constant.
/// </summary>
public sealed class PadRule : AffineRule<PadOp>
{
    protected override bool PositiveMap => true;

    protected override Interval Ibp(PadOp op, Node node, IReadOnlyList<Interval> inputs) =>
        Monotone(inputs[0], t => op.Forward(new[] { t }));

    protected override Tensor Adjoint(PadOp op, BackwardStep step, Tensor a, int input)
    {
        var inShape = step.InputNodes[0].Shape;
        int rank = inShape.Length;
        var x = a;
        for (int i = 0; i < rank; i++)
        {
            long begin = op.Pads[i];
            if (begin < 0 || op.Pads[i + rank] < 0)
                throw new NotSupportedException($"node '{step.Node.Name}' (Pad): negative pads are not supported by the bound rules");
            if (begin != 0 || op.Pads[i + rank] != 0) x = x.narrow(i + 2, begin, inShape[i]);
        }
        return x;
    }

    protected override Tensor? Offset(PadOp op, BackwardStep step, Tensor a)
    {
        if (op.Value == 0) return null;
        // The constant part of the output: the pad value at padded positions, zero elsewhere.
        using var zero = zeros(ComputationGraph.ShapeWithBatch(1, step.InputNodes[0].Shape), a.dtype, a.device);
        using var constant = op.Forward(new[] { zero }); // [1, *out]
        return (a * constant.unsqueeze(1)).reshape(a.shape[0], a.shape[1], -1).sum(-1);
    }
}
