using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Elementwise min of two variables: <c>min(a, b) = −max(−a, −b)</c> (see <see cref="PairMaxLines.ForMin"/>).</summary>
public sealed class MinRule : PairExtremumRule<MinOp>
{
    protected override PairMaxLines Lines(Tensor la, Tensor ua, Tensor lb, Tensor ub) => PairMaxLines.ForMin(la, ua, lb, ub);
    protected override Tensor Pick(Tensor a, Tensor b) => minimum(a, b);
}
