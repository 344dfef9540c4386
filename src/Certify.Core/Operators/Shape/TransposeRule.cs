using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Permutation of sample axes: bounds are permuted; coefficients take the inverse permutation.</summary>
public sealed class TransposeRule : AffineRule<TransposeOp>
{
    protected override bool PositiveMap => true;

    protected override Interval Ibp(TransposeOp op, Node node, IReadOnlyList<Interval> inputs) =>
        Monotone(inputs[0], t => op.Forward(new[] { t }));

    protected override Tensor Adjoint(TransposeOp op, BackwardStep step, Tensor a, int input)
    {
        var inverse = new long[op.Perm.Length];
        for (int i = 0; i < op.Perm.Length; i++) inverse[op.Perm[i]] = i;
        return a.permute(new long[] { 0, 1 }.Concat(inverse.Select(p => p + 2)).ToArray());
    }
}
