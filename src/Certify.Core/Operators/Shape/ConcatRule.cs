using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Concatenation: bounds are concatenated; coefficients are split back into the operands' parts.</summary>
public sealed class ConcatRule : AffineRule<ConcatOp>
{
    protected override bool PositiveMap => true;

    protected override Interval Ibp(ConcatOp op, Node node, IReadOnlyList<Interval> inputs) =>
        new(cat(inputs.Select(i => i.Lower).ToArray(), op.Axis + 1), cat(inputs.Select(i => i.Upper).ToArray(), op.Axis + 1));

    protected override Tensor Adjoint(ConcatOp op, BackwardStep step, Tensor a, int input)
    {
        long start = 0;
        for (int k = 0; k < input; k++) start += step.InputNodes[k].Shape[op.Axis];
        return a.narrow(op.Axis + 2, start, step.InputNodes[input].Shape[op.Axis]);
    }
}
